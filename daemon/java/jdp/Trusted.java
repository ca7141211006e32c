/*
 * Trusted: jobs run inside the compile server (job-mode trusted, see
 * docs/RUNNER.md "Trusted mode"). Not a sandbox: jobs share this JVM's
 * heap, its process and each other's JDK state.
 *
 * Each job gets a fresh class loader and its own thread group with one
 * thread in it that runs the job exactly as a run JVM does
 * (RunHarness.runJob). System.out, System.err and System.in are set once to
 * streams that pass every call on to the calling thread's job's own
 * streams, so whatever a job's threads (which start in its group) print
 * goes to that job's capped buffers, and a job stopped in the middle of a
 * print leaves nothing half-written for the next one. A security manager turns System.exit and Runtime.halt in a job's
 * thread into the job's end ('X') and a SecurityException, and keeps jobs
 * from replacing the standard streams or the security manager.
 *
 * jdpd sends RUN (int length and the class bytes as compiled, then the
 * job's standard input) and, when the job times out or is cancelled, STOP.
 * We answer RESULT once (never after STOP):
 *
 *	byte kind (as RunHarness's records: O M E L P X), then int length
 *	and bytes of the text, of the job's stdout and of its stderr
 *
 * where the text of 'X' is the mode ('O' or 'M') and the exit status in
 * decimal, and GONE (empty) once no thread of the job is left: when the job
 * ends its remaining threads are stopped (Thread.stop). A job whose threads
 * do not die gets no GONE, and jdpd restarts this JVM.
 */
package jdp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.Permission;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

@SuppressWarnings({"removal", "deprecation"})
final class Trusted {
	static final byte RESULT = 4;
	static final byte GONE = 5;

	/** The outcome of a job stopped by jdpd (never sent). */
	private static final RunHarness.Outcome STOPPED =
	    new RunHarness.Outcome((byte)'S', null);

	/** A job's standard output or error, capped at the output limit. */
	static final class Capture extends OutputStream {
		private final ByteArrayOutputStream buf =
		    new ByteArrayOutputStream();
		private final Job job;
		private boolean over;

		Capture(Job job) {
			this.job = job;
		}

		@Override
		public synchronized void write(byte[] b, int off, int len) {
			if (over)
				return;
			if (buf.size() + (long)len > job.t.outputMax) {
				over = true;
				job.finish(new RunHarness.Outcome((byte)'P',
				    null));
				return;
			}
			buf.write(b, off, len);
		}

		@Override
		public void write(int b) {
			write(new byte[] { (byte)b }, 0, 1);
		}

		synchronized boolean over() {
			return over;
		}

		synchronized byte[] bytes() {
			return buf.toByteArray();
		}
	}

	/** One job: its thread group, streams and outcome. */
	static final class Job extends ThreadGroup {
		final Trusted t;
		final int id;
		final Capture out = new Capture(this);
		final Capture err = new Capture(this);
		final PrintStream pout = new PrintStream(out, true,
		    StandardCharsets.UTF_8);
		final PrintStream perr = new PrintStream(err, true,
		    StandardCharsets.UTF_8);
		final InputStream in;
		volatile int mode = 'O';
		volatile boolean stopped;
		private final AtomicReference<RunHarness.Outcome> outcome =
		    new AtomicReference<>();
		private final CountDownLatch done = new CountDownLatch(1);

		Job(Trusted t, int id, byte[] stdin) {
			super("job-" + id);
			/* Gone from its parent with its last thread. */
			setDaemon(true);
			this.t = t;
			this.id = id;
			in = new ByteArrayInputStream(stdin);
		}

		/** The first outcome counts. */
		void finish(RunHarness.Outcome o) {
			if (outcome.compareAndSet(null, o))
				done.countDown();
		}

		RunHarness.Outcome await() {
			for (;;) {
				try {
					done.await();
					return outcome.get();
				} catch (InterruptedException e) {
					/* only the outcome ends the wait */
				}
			}
		}
	}

	/** The job of the calling thread, or null. */
	static Job current() {
		ThreadGroup g = Thread.currentThread().getThreadGroup();
		return g instanceof Job ? (Job)g : null;
	}

	/** System.out or System.err: the calling job's, else the server's. */
	static final class Out extends PrintStream {
		private final PrintStream server;
		private final boolean err;

		Out(PrintStream server, boolean err) {
			super(OutputStream.nullOutputStream());
			this.server = server;
			this.err = err;
		}

		private PrintStream t() {
			Job j = current();
			return j == null ? server : err ? j.perr : j.pout;
		}

		@Override public void flush() { t().flush(); }
		@Override public void close() { /* never */ }
		@Override public boolean checkError() { return t().checkError(); }
		@Override public void write(int b) { t().write(b); }
		@Override public void write(byte[] b, int o, int n) {
			t().write(b, o, n);
		}
		@Override public void write(byte[] b) throws IOException {
			t().write(b);
		}
		@Override public void writeBytes(byte[] b) { t().writeBytes(b); }
		@Override public void print(boolean x) { t().print(x); }
		@Override public void print(char x) { t().print(x); }
		@Override public void print(int x) { t().print(x); }
		@Override public void print(long x) { t().print(x); }
		@Override public void print(float x) { t().print(x); }
		@Override public void print(double x) { t().print(x); }
		@Override public void print(char[] x) { t().print(x); }
		@Override public void print(String x) { t().print(x); }
		@Override public void print(Object x) { t().print(x); }
		@Override public void println() { t().println(); }
		@Override public void println(boolean x) { t().println(x); }
		@Override public void println(char x) { t().println(x); }
		@Override public void println(int x) { t().println(x); }
		@Override public void println(long x) { t().println(x); }
		@Override public void println(float x) { t().println(x); }
		@Override public void println(double x) { t().println(x); }
		@Override public void println(char[] x) { t().println(x); }
		@Override public void println(String x) { t().println(x); }
		@Override public void println(Object x) { t().println(x); }
		@Override public PrintStream printf(String f, Object... a) {
			t().printf(f, a);
			return this;
		}
		@Override public PrintStream printf(Locale l, String f,
		    Object... a) {
			t().printf(l, f, a);
			return this;
		}
		@Override public PrintStream format(String f, Object... a) {
			t().format(f, a);
			return this;
		}
		@Override public PrintStream format(Locale l, String f,
		    Object... a) {
			t().format(l, f, a);
			return this;
		}
		@Override public PrintStream append(CharSequence s) {
			t().append(s);
			return this;
		}
		@Override public PrintStream append(CharSequence s, int b,
		    int e) {
			t().append(s, b, e);
			return this;
		}
		@Override public PrintStream append(char c) {
			t().append(c);
			return this;
		}
	}

	/** System.in: the calling job's input, else nothing. */
	static final class In extends InputStream {
		private static final InputStream NONE = InputStream.nullInputStream();

		private static InputStream target() {
			Job j = current();
			return j == null ? NONE : j.in;
		}

		@Override
		public int read() throws IOException {
			return target().read();
		}

		@Override
		public int read(byte[] b, int off, int len) throws IOException {
			return target().read(b, off, len);
		}

		@Override
		public int available() throws IOException {
			return target().available();
		}
	}

	/** Everything is allowed, but to jobs not these. */
	static final class Guard extends SecurityManager {
		@Override
		public void checkPermission(Permission p) {
			if (!(p instanceof RuntimePermission) || current() == null)
				return;
			String n = p.getName();
			if (n.equals("setIO") || n.equals("setSecurityManager"))
				throw new SecurityException(n + " is not " +
				    "allowed to jobs in trusted mode");
		}

		@Override
		public void checkPermission(Permission p, Object context) {
			checkPermission(p);
		}

		@Override
		public void checkExit(int status) {
			Job j = current();
			if (j == null)
				return;
			j.finish(new RunHarness.Outcome((byte)'X',
			    (char)j.mode + Integer.toString(status)));
			throw new SecurityException("System.exit(" + status +
			    ") ends the job");
		}
	}

	private final long outputMax;
	private final DataOutputStream frames;
	private final Map<Integer, Job> jobs = new ConcurrentHashMap<>();

	/** Set the standard streams and the security manager, once. */
	Trusted(long outputMax, DataOutputStream frames, PrintStream server) {
		this.outputMax = outputMax;
		this.frames = frames;
		System.setSecurityManager(new Guard());
		System.setOut(new Out(server, false));
		System.setErr(new Out(server, true));
		System.setIn(new In());
	}

	/** RUN: start the job on its own thread and return. */
	void run(int id, byte[] payload) throws IOException {
		DataInputStream d = new DataInputStream(
		    new ByteArrayInputStream(payload));
		byte[] classes = new byte[d.readInt()];
		d.readFully(classes);
		RunHarness.Job code = RunHarness.Job.decode(classes);
		Job j = new Job(this, id, d.readAllBytes());
		jobs.put(id, j);
		Thread s = new Thread(() -> supervise(j, code), "supervisor-" + id);
		s.setDaemon(true);
		s.start();
	}

	/** STOP: jdpd has answered the job; end it, answer GONE only. */
	void stop(int id) {
		Job j = jobs.get(id);
		if (j == null)
			return;
		j.stopped = true;
		j.finish(STOPPED);
	}

	private void supervise(Job j, RunHarness.Job code) {
		Thread main = new Thread(j, () -> {
			RunHarness.Outcome o;
			try {
				o = RunHarness.runJob(code, outputMax,
				    m -> j.mode = m);
			} catch (OutOfMemoryError e) {
				o = new RunHarness.Outcome((byte)'L', null);
			}
			j.finish(o);
		}, "main");
		main.setDaemon(true);
		main.start();
		RunHarness.Outcome o = j.await();
		try {
			if (!j.stopped)
				send(j.id, RESULT, result(j, o));
			/* Let a job thread that returned end by itself. */
			main.join(100);
			reap(j);
			jobs.remove(j.id);
			send(j.id, GONE, new byte[0]);
		} catch (IOException | InterruptedException e) {
			/* jdpd is gone or we are shutting down */
		}
	}

	private static byte[] result(Job j, RunHarness.Outcome o)
	    throws IOException {
		byte kind = j.out.over() || j.err.over() ? (byte)'P' : o.kind;
		ByteArrayOutputStream b = new ByteArrayOutputStream();
		DataOutputStream d = new DataOutputStream(b);
		d.writeByte(kind);
		for (byte[] s : new byte[][] { o.text == null ? new byte[0] :
		    o.text.getBytes(StandardCharsets.UTF_8), j.out.bytes(),
		    j.err.bytes() }) {
			d.writeInt(s.length);
			d.write(s);
		}
		d.flush();
		return b.toByteArray();
	}

	/** Stop the job's threads until none is left (jdpd bounds this). */
	private static void reap(Job j) throws InterruptedException {
		for (int round = 0;; round++) {
			Thread[] ts = new Thread[j.activeCount() + 16];
			int n = j.enumerate(ts);
			if (n == 0)
				return;
			for (int i = 0; i < n; i++) {
				try {
					ts[i].stop();
				} catch (UnsupportedOperationException e) {
					ts[i].interrupt(); /* JDK 20 and later */
				}
			}
			Thread.sleep(round < 10 ? 10 : 100);
		}
	}

	private void send(int id, byte kind, byte[] payload) throws IOException {
		CompileServer.send(frames, id,
		    new CompileServer.Answer(kind, payload));
	}
}
