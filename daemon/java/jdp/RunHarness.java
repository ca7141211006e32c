/*
 * RunHarness: one sandboxed run JVM of a jdp runner; runs exactly one job.
 *
 * Started ahead of demand, it warms the paths jobs use (class definition,
 * reflection, string building, collections, stack traces), writes 'R' on
 * its control channel (file descriptor 3) and blocks reading its job from
 * standard input:
 *
 *	int length, then length bytes: UTF main class, int count, then per
 *	class UTF binary name, int length, class bytes
 *
 * Everything after the job on standard input is the job's own input. The
 * job's standard output and error go straight to jdpd's pipes. The result
 * goes to the control channel as one record, byte kind, int length, bytes:
 *
 *	'O'  run() returned this string (UTF-8)
 *	'M'  main() returned; the result is what it printed
 *	'E'  the job failed; the classic error text
 *	'L'  the heap was exhausted (OutOfMemoryError)
 *	'P'  run() returned more than the output limit
 *	'X'  the job called System.exit (the exit status tells the code)
 *
 * after which the harness halts the JVM, whatever threads the job left.
 * jdpd takes the first record after the job is given as its result, and
 * any record longer than the output limit, malformed or unexpected ends
 * the JVM with a runtime error: the job can write on fd 3 too.
 * In trusted mode the compile server runs jobs through runJob too (see
 * Trusted).
 */
package jdp;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntConsumer;

public final class RunHarness {
	static final String RUN_TEXT =
	    "Could not create and run instance of class";

	/** Defines the job's classes; one loader per job. */
	static final class JobLoader extends ClassLoader {
		private final Map<String, byte[]> classes;

		JobLoader(Map<String, byte[]> classes) {
			super(ClassLoader.getPlatformClassLoader());
			this.classes = classes;
		}

		@Override
		protected Class<?> findClass(String name)
		    throws ClassNotFoundException {
			byte[] b = classes.get(name);
			if (b == null)
				throw new ClassNotFoundException(name);
			return defineClass(name, b, 0, b.length);
		}
	}

	/** A job as decoded from its bytes. */
	static final class Job {
		String main;
		final Map<String, byte[]> classes = new HashMap<>();
		/* What main(String[]) gets. */
		String[] args = new String[0];

		static Job decode(byte[] b) throws IOException {
			DataInputStream d = new DataInputStream(
			    new ByteArrayInputStream(b));
			Job j = new Job();
			j.main = d.readUTF();
			for (int n = d.readInt(); n > 0; n--) {
				String name = d.readUTF();
				byte[] c = new byte[d.readInt()];
				d.readFully(c);
				j.classes.put(name, c);
			}
			/* Then, from jdpd: int count, per arg int, UTF-8. */
			if (d.available() >= 4) {
				int n = d.readInt();
				if (n < 0 || n > d.available() / 4)
					throw new IOException("bad args");
				j.args = new String[n];
				for (int i = 0; i < n; i++) {
					byte[] a = new byte[d.readInt()];
					d.readFully(a);
					j.args[i] = new String(a,
					    StandardCharsets.UTF_8);
				}
			}
			return j;
		}
	}

	/** What running a job gave. */
	static final class Outcome {
		final byte kind;
		final String text;

		Outcome(byte kind, String text) {
			this.kind = kind;
			this.text = text;
		}
	}

	private static OutputStream ctl;
	private static volatile boolean reported;
	/* 'O' while run() runs, 'M' while main() runs. */
	private static volatile byte mode = 'O';
	/* Kept ready so that reporting works with the heap exhausted. */
	private static final byte[] OOM_RECORD = { 'L', 0, 0, 0, 0 };

	/**
	 * Run a job: run() if it has one, else main(String[]). started hears
	 * 'O' just before run() is called, 'M' before main(). A result over
	 * outputMax bytes of UTF-8 is 'P'; an error text is cut to outputMax
	 * bytes (jdpd refuses a longer record).
	 */
	static Outcome runJob(Job job, long outputMax, IntConsumer started) {
		Outcome o = runJobUncapped(job, outputMax, started);
		if (o.text == null || (o.kind != 'O' && o.kind != 'E'))
			return o;
		byte[] b = o.text.getBytes(StandardCharsets.UTF_8);
		if (b.length <= outputMax)
			return o;
		if (o.kind == 'O')
			return new Outcome((byte)'P', null);
		int n = (int)outputMax;
		while (n > 0 && (b[n] & 0xc0) == 0x80)
			n--;
		return new Outcome(o.kind,
		    new String(b, 0, n, StandardCharsets.UTF_8));
	}

	static Outcome runJobUncapped(Job job, long outputMax,
	    IntConsumer started) {
		try {
			Class<?> c = Class.forName(job.main, false,
			    new JobLoader(job.classes));
			Method run = null;
			try {
				run = c.getMethod("run");
				if (Modifier.isStatic(run.getModifiers()))
					run = null;
			} catch (NoSuchMethodException e) {
				run = null;
			}
			Method main = null;
			if (run == null) {
				try {
					main = c.getMethod("main",
					    String[].class);
					if (!Modifier.isStatic(
					    main.getModifiers()))
						main = null;
				} catch (NoSuchMethodException e) {
					main = null;
				}
			}
			if (run == null && main == null)
				return new Outcome((byte)'E', RUN_TEXT + "\n" +
				    "java.lang.NoSuchMethodException: " +
				    job.main + " has neither public String " +
				    "run() nor public static void " +
				    "main(String[])");
			if (run != null) {
				if (run.getReturnType() != String.class)
					return new Outcome((byte)'E',
					    "The return type of the class was " +
					    run.getReturnType().getName() +
					    ", not java.lang.String");
				Constructor<?> k = c.getDeclaredConstructor();
				k.setAccessible(true);
				started.accept('O');
				Object o = k.newInstance();
				String r = (String)run.invoke(o);
				if (r == null)
					r = "null";
				if (r.length() > outputMax)
					return new Outcome((byte)'P', null);
				return new Outcome((byte)'O', r);
			}
			started.accept('M');
			main.invoke(null, (Object)job.args.clone());
			return new Outcome((byte)'M', "");
		} catch (InvocationTargetException e) {
			return failure(e.getCause());
		} catch (Throwable t) {
			return failure(t);
		}
	}

	static Outcome failure(Throwable t) {
		for (Throwable c = t; c != null; c = c.getCause())
			if (c instanceof OutOfMemoryError &&
			    !String.valueOf(c.getMessage()).contains("thread"))
				return new Outcome((byte)'L', null);
		StringWriter sw = new StringWriter();
		t.printStackTrace(new PrintWriter(sw));
		StringBuilder sb = new StringBuilder(RUN_TEXT).append('\n');
		for (String line : sw.toString().split("\n")) {
			String l = line.trim();
			if (l.startsWith("at java.base/jdk.internal.reflect.") ||
			    l.startsWith("at java.base/java.lang.reflect.") ||
			    l.startsWith("at java.base/java.lang.Thread.run(") ||
			    l.startsWith("at jdp."))
				continue;
			sb.append(line).append('\n');
		}
		return new Outcome((byte)'E', sb.toString().stripTrailing());
	}

	static void report(byte kind, byte[] payload) {
		if (reported)
			return;
		reported = true;
		try {
			byte[] rec = new byte[5];
			rec[0] = kind;
			int n = payload == null ? 0 : payload.length;
			rec[1] = (byte)(n >>> 24);
			rec[2] = (byte)(n >>> 16);
			rec[3] = (byte)(n >>> 8);
			rec[4] = (byte)n;
			ctl.write(rec);
			if (n > 0)
				ctl.write(payload);
			ctl.flush();
		} catch (IOException e) {
			/* jdpd went away; nothing to tell. */
		}
	}

	/** Exercise what jobs use, so that the first job finds it warm. */
	static void warm(long outputMax, int rounds) throws IOException {
		InputStream in = RunHarness.class.getResourceAsStream(
		    "Warm.class");
		byte[] w = in.readAllBytes();
		PrintStream out = System.out;
		System.setOut(new PrintStream(OutputStream.nullOutputStream()));
		for (int i = 0; i < rounds; i++) {
			Job j = new Job();
			j.main = "jdp.Warm";
			j.classes.put("jdp.Warm", w.clone());
			runJob(j, outputMax, m -> {});
			failure(new IllegalStateException("warm " + i));
			String.format("%d %s %.2f", i, "x", i / 3.0);
		}
		System.setOut(out);
	}

	static OutputStream openControl() throws Exception {
		Constructor<FileDescriptor> k =
		    FileDescriptor.class.getDeclaredConstructor(int.class);
		k.setAccessible(true);
		return new FileOutputStream(k.newInstance(3));
	}

	public static void main(String[] args) throws Exception {
		long outputMax = Long.parseLong(args[0]);
		int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
		if (args.length > 2 && args[2].equals("dump")) {
			/*
			 * jdpd's class-data dump (-XX:ArchiveClassesAtExit):
			 * load what a run loads, then halt, which writes the
			 * archive. No control channel, no job.
			 */
			ctl = OutputStream.nullOutputStream();
			warm(outputMax, Math.max(rounds, 1));
			Job.decode(new byte[] { 0, 1, 'x', 0, 0, 0, 0 });
			new DataInputStream(new FileInputStream(
			    FileDescriptor.in));
			new Thread(() -> report((byte)'X', null));
			report((byte)'R', null);
			Runtime.getRuntime().halt(0);
		}
		ctl = openControl();
		warm(outputMax, rounds);
		report((byte)'R', null);
		reported = false;

		/* Block for the job, reading fd 0 without buffering ahead. */
		InputStream in = new FileInputStream(FileDescriptor.in);
		DataInputStream d = new DataInputStream(in);
		byte[] b = new byte[d.readInt()];
		d.readFully(b);
		Job job = Job.decode(b);
		b = null;

		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			System.out.flush();
			System.err.flush();
			report((byte)'X', new byte[] { mode });
		}));
		Outcome r;
		try {
			r = runJob(job, outputMax, m -> mode = (byte)m);
		} catch (OutOfMemoryError e) {
			r = new Outcome((byte)'L', null);
		}
		System.out.flush();
		System.err.flush();
		if (r.kind == 'L') {
			if (!reported) {
				reported = true;
				try {
					ctl.write(OOM_RECORD);
					ctl.flush();
				} catch (IOException e) {
					/* nothing to tell */
				}
			}
		} else
			report(r.kind, r.text == null ? null :
			    r.text.getBytes(StandardCharsets.UTF_8));
		Runtime.getRuntime().halt(0);
	}
}
