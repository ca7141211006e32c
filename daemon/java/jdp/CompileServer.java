/*
 * CompileServer: the long-lived compiler JVM of a jdp runner.
 *
 * jdpd writes requests to our standard input and reads answers from our
 * standard output; both are big-endian frames:
 *
 *	request:  int id, byte kind, int length, length bytes of payload
 *	answer:   int id, byte kind, int length, length bytes of payload
 *
 * A COMPILE request carries Java source (UTF-8), a COMPILE_FILES request
 * several files, a main class and a release (compileFiles); jdpd sends one at a time
 * and we compile it on our compiler thread. Answer kind READY (id 0, empty)
 * is sent once, after warming up. kind OK carries the job as the run
 * harness reads it (see RunHarness): UTF main class, int count, then per
 * class UTF binary name, int length, bytes. The other kinds carry the
 * classic error text in UTF-8. RUN and STOP requests and the RESULT and
 * GONE answers exist only in trusted mode (argument "trusted"), where jobs
 * run in this JVM (see Trusted).
 *
 * Compilation is in memory through javac's own task pool
 * (com.sun.tools.javac.api.JavacTaskPool), always with the same file
 * manager and a diagnostic listener, which is what keeps the pooled
 * contexts reusable. Compiling runs no job code: annotation processing is
 * off (-proc:none).
 */
package jdp;

import com.sun.source.util.JavacTask;
import com.sun.tools.javac.api.JavacTaskPool;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticListener;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

public final class CompileServer {
	static final byte OK = 0;
	static final byte COMPILE_ERROR = 1;
	static final byte NO_CLASS = 2;
	static final byte READY = 3;

	/* Request kinds. */
	static final byte COMPILE = 0;
	static final byte RUN = 1;
	static final byte STOP = 2;
	static final byte COMPILE_FILES = 3;

	static final String NO_CLASS_TEXT = "No class name found in code";
	static final String COMPILE_TEXT = "Code did not compile:";

	private static final List<String> OPTIONS = List.of("-proc:none",
	    "-XDstringConcat=inline", "-Xlint:none", "-nowarn",
	    "-implicit:class");

	/** Source given to javac from memory. */
	static final class Source extends SimpleJavaFileObject {
		private final String text;

		Source(String name, String text) {
			this(URI.create("string:///" + name + ".java"), text);
		}

		Source(URI uri, String text) {
			super(uri, Kind.SOURCE);
			this.text = text;
		}

		@Override
		public CharSequence getCharContent(boolean ignoreErrors) {
			return text;
		}
	}

	/** A class file javac writes, kept in memory. */
	static final class Output extends SimpleJavaFileObject {
		final String name;
		final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

		Output(String name) {
			super(URI.create("mem:///" + name.replace('.', '/') +
			    ".class"), Kind.CLASS);
			this.name = name;
		}

		@Override
		public OutputStream openOutputStream() {
			return bytes;
		}
	}

	/** The one file manager: class output goes to memory. */
	static final class Memory
	    extends ForwardingJavaFileManager<StandardJavaFileManager> {
		final Map<String, Output> out = new LinkedHashMap<>();

		Memory(StandardJavaFileManager m) {
			super(m);
		}

		@Override
		public JavaFileObject getJavaFileForOutput(Location loc,
		    String name, JavaFileObject.Kind kind, FileObject sibling) {
			Output o = new Output(name);
			out.put(name, o);
			return o;
		}
	}

	/** Collects the errors of one compilation. */
	static final class Errors
	    implements DiagnosticListener<JavaFileObject> {
		final List<Diagnostic<? extends JavaFileObject>> list =
		    new ArrayList<>();

		@Override
		public void report(Diagnostic<? extends JavaFileObject> d) {
			if (d.getKind() == Diagnostic.Kind.ERROR)
				list.add(d);
		}
	}

	private final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
	private final Memory files = new Memory(javac.getStandardFileManager(
	    null, Locale.ROOT, StandardCharsets.UTF_8));
	/* Replaced after javac failed: its context may be half-used. */
	private JavacTaskPool pool = new JavacTaskPool(1);
	/* The largest source (max-body); bounds our answers (jdpd's too). */
	private final long max;

	CompileServer(long max) {
		this.max = max;
	}

	/** The answer to one request: kind and payload. */
	static final class Answer {
		final byte kind;
		final byte[] payload;

		Answer(byte kind, byte[] payload) {
			this.kind = kind;
			this.payload = payload;
		}

		Answer(byte kind, String text) {
			this(kind, text.getBytes(StandardCharsets.UTF_8));
		}
	}

	/** Compile one job's source. */
	Answer compile(byte[] raw) throws IOException {
		String text = decode(raw, CodingErrorAction.REPLACE);
		SourceInfo info = SourceInfo.scan(text);
		if (info.name == null)
			return new Answer(NO_CLASS, NO_CLASS_TEXT);
		String bad = checkUtf8(raw, info.name);
		if (bad != null)
			return new Answer(COMPILE_ERROR, bad);

		Errors errors = new Errors();
		StringWriter log = new StringWriter();
		files.out.clear();
		Boolean ok = pool.getTask(log, files, errors, OPTIONS, null,
		    List.of(new Source(info.name, text)),
		    (JavacTask task) -> task.call());
		if (errors.list.isEmpty() && log.toString().contains(
		    "An exception has occurred in the compiler"))
			return crashed(log.toString());
		if (!ok || !errors.list.isEmpty())
			return new Answer(COMPILE_ERROR,
			    cut(format(errors, log), max));
		return classes(info.binaryName());
	}

	/** The classes of a compilation as the run harness reads them. */
	Answer classes(String main) throws IOException {
		long size = 0;
		for (Output o : files.out.values())
			size += o.bytes.size();
		if (size > classesMax(max)) {
			files.out.clear();
			return new Answer(COMPILE_ERROR, COMPILE_TEXT +
			    "\nError:\nthe class files are too large: " + size +
			    " bytes (the limit is " + classesMax(max) +
			    " bytes)");
		}
		ByteArrayOutputStream b = new ByteArrayOutputStream();
		DataOutputStream d = new DataOutputStream(b);
		d.writeUTF(main);
		d.writeInt(files.out.size());
		for (Output o : files.out.values()) {
			d.writeUTF(o.name);
			d.writeInt(o.bytes.size());
			o.bytes.writeTo(d);
		}
		d.flush();
		files.out.clear();
		return new Answer(OK, b.toByteArray());
	}

	static String error(String what) {
		return COMPILE_TEXT + "\nError:\n" + what;
	}

	/*
	 * A public top-level class that can be a job's entry: public static
	 * void main(String[]) or public run() (any return type: the harness
	 * names a wrong one).
	 */
	static boolean entry(Element e) {
		if (!(e instanceof TypeElement) ||
		    ((TypeElement)e).getNestingKind() != NestingKind.TOP_LEVEL ||
		    !e.getModifiers().contains(Modifier.PUBLIC))
			return false;
		for (Element m : e.getEnclosedElements()) {
			if (!(m instanceof ExecutableElement) ||
			    !m.getModifiers().contains(Modifier.PUBLIC))
				continue;
			ExecutableElement x = (ExecutableElement)m;
			String n = x.getSimpleName().toString();
			boolean st = m.getModifiers().contains(Modifier.STATIC);
			if (n.equals("main") && st &&
			    x.getParameters().size() == 1 &&
			    x.getParameters().get(0).asType().toString()
			    .equals("java.lang.String[]"))
				return true;
			if (n.equals("run") && !st &&
			    x.getParameters().isEmpty())
				return true;
		}
		return false;
	}

	/*
	 * Compile several files (a COMPILE_FILES request): int release (0:
	 * javac's default), int length and the main class ("" = infer), int
	 * count, then per file int length and name, int length and content
 * (an empty name: named after its public class, as one source is).
	 * The entry is the named class, or the one public top-level class
	 * with main(String[]) or run(); none or several: a compile error
	 * naming the candidates.
	 */
	Answer compileFiles(byte[] raw) throws IOException {
		DataInputStream in = new DataInputStream(
		    new java.io.ByteArrayInputStream(raw));
		int release = in.readInt();
		String main = new String(bytes(in), StandardCharsets.UTF_8);
		int n = in.readInt();
		if (n < 1 || n > raw.length / 8)
			return new Answer(COMPILE_ERROR, error("no files"));
		List<Source> sources = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			String name = new String(bytes(in),
			    StandardCharsets.UTF_8);
			byte[] content = bytes(in);
			String stem = name.endsWith(".java") ?
			    name.substring(0, name.length() - 5) : name;
			if (name.isEmpty()) {
				/* A source given without a name (gateway). */
				SourceInfo info = SourceInfo.scan(decode(
				    content, CodingErrorAction.REPLACE));
				stem = info.name != null ? info.name : "Main";
			}
			String bad = checkUtf8(content, stem);
			if (bad != null)
				return new Answer(COMPILE_ERROR, bad);
			sources.add(new Source(stem, decode(content,
			    CodingErrorAction.REPLACE)));
		}
		List<String> options = new ArrayList<>(OPTIONS);
		if (release != 0) {
			int latest = SourceVersion.latestSupported().ordinal();
			if (release < 8 || release > latest)
				return new Answer(COMPILE_ERROR, error(
				    "release " + release + " is not supported" +
				    " (this javac supports 8 to " + latest +
				    ")"));
			options.add("--release");
			options.add(Integer.toString(release));
		}
		Errors errors = new Errors();
		StringWriter log = new StringWriter();
		List<String> candidates = new ArrayList<>();
		files.out.clear();
		Boolean ok = pool.getTask(log, files, errors, options, null,
		    sources, (JavacTask task) -> {
			try {
				for (Element e : task.analyze())
					if (entry(e))
						candidates.add(((TypeElement)e)
						    .getQualifiedName()
						    .toString());
				if (!errors.list.isEmpty())
					return false;
				task.generate();
				return true;
			} catch (IOException e) {
				throw new java.io.UncheckedIOException(e);
			}
		    });
		if (errors.list.isEmpty() && log.toString().contains(
		    "An exception has occurred in the compiler"))
			return crashed(log.toString());
		if (!ok || !errors.list.isEmpty()) {
			files.out.clear();
			return new Answer(COMPILE_ERROR,
			    cut(format(errors, log), max));
		}
		java.util.Collections.sort(candidates);
		if (main.isEmpty()) {
			if (candidates.size() != 1) {
				files.out.clear();
				return new Answer(COMPILE_ERROR, error(
				    (candidates.isEmpty() ?
				    "no main class: no public class has " +
				    "public static void main(String[]) or " +
				    "public run()" :
				    "cannot infer the main class, " +
				    "candidates: " +
				    String.join(", ", candidates)) +
				    "; name one with \"main\""));
			}
			main = candidates.get(0);
		} else if (!files.out.containsKey(main)) {
			files.out.clear();
			return new Answer(COMPILE_ERROR, error("main class " +
			    main + " not found" + (candidates.isEmpty() ? "" :
			    "; candidates: " + String.join(", ",
			    candidates))));
		}
		return classes(main);
	}

	/** int length, then that many bytes. */
	static byte[] bytes(DataInputStream in) throws IOException {
		int n = in.readInt();
		if (n < 0 || n > in.available())
			throw new IOException("bad length " + n);
		byte[] b = new byte[n];
		in.readFully(b);
		return b;
	}

	static final String NESTED_TEXT = COMPILE_TEXT + "\nError:\nthe " +
	    "code is nested too deeply to compile (javac ran out of stack)";

	/*
	 * javac crashed and said so in its log (it catches StackOverflowError
	 * itself): a short text, not its stack, and a new task pool, since
	 * the pooled context may be half-used.
	 */
	Answer crashed(String log) {
		pool = new JavacTaskPool(1);
		if (log.contains("java.lang.StackOverflowError"))
			return new Answer(COMPILE_ERROR, NESTED_TEXT);
		String what = "javac failed";
		for (String l : log.split("\n"))
			if (l.startsWith("java.") || l.startsWith("javax.")) {
				what = "javac failed: " + l.trim();
				break;
			}
		return new Answer(COMPILE_ERROR,
		    cut(COMPILE_TEXT + "\nError:\n" + what, 4096));
	}

	/** The most class bytes one job may have: 4 x max-body + 1 MiB. */
	static long classesMax(long max) {
		return 4 * max + (1 << 20);
	}

	/** text as UTF-8, cut to at most max bytes at a character. */
	static byte[] cut(String text, long max) {
		byte[] b = text.getBytes(StandardCharsets.UTF_8);
		if (b.length <= max)
			return b;
		int n = (int)max;
		while (n > 0 && (b[n] & 0xc0) == 0x80)
			n--;
		return java.util.Arrays.copyOf(b, n);
	}

	/** The classic compile error text. */
	static String format(Errors errors, StringWriter log) {
		StringBuilder sb = new StringBuilder(COMPILE_TEXT);
		for (Diagnostic<? extends JavaFileObject> d : errors.list) {
			sb.append('\n');
			if (d.getSource() != null && d.getLineNumber() > 0)
				sb.append("Error on line ")
				    .append(d.getLineNumber())
				    .append(", column ")
				    .append(d.getColumnNumber())
				    .append(" in ")
				    .append(d.getSource().toUri())
				    .append('\n');
			else
				sb.append("Error:\n");
			sb.append(d.getMessage(Locale.ROOT));
		}
		if (errors.list.isEmpty())
			sb.append('\n').append(log.toString().trim());
		return sb.toString();
	}

	static String decode(byte[] raw, CodingErrorAction onError) {
		CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
		    .onMalformedInput(onError)
		    .onUnmappableCharacter(onError);
		try {
			return dec.decode(ByteBuffer.wrap(raw)).toString();
		} catch (IOException e) {
			return null;
		}
	}

	/** Null if raw is UTF-8, else a compile error naming the place. */
	static String checkUtf8(byte[] raw, String name) {
		CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
		    .onMalformedInput(CodingErrorAction.REPORT)
		    .onUnmappableCharacter(CodingErrorAction.REPORT);
		ByteBuffer in = ByteBuffer.wrap(raw);
		CharBuffer out = CharBuffer.allocate(raw.length + 1);
		CoderResult r = dec.decode(in, out, true);
		if (!r.isError())
			return null;
		int at = in.position(), line = 1, col = 1;
		out.flip();
		for (int i = 0; i < out.length(); i++) {
			if (out.charAt(i) == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		return String.format("%s%nError on line %d, column %d in " +
		    "string:///%s.java%nillegal byte 0x%02x: the source " +
		    "is not valid UTF-8", COMPILE_TEXT, line, col, name,
		    raw[at] & 0xff).replace("\r\n", "\n");
	}

	/** Compile a few classes so that the first job finds javac warm. */
	void warm(int rounds) throws IOException {
		String[] sources = {
			"public class Warm { public String run() { " +
			    "java.util.List<String> l = new java.util." +
			    "ArrayList<>(); l.add(\"a\" + 1); return " +
			    "String.join(\",\", l); } }",
			"package w; import java.util.*; public class Main { " +
			    "public static void main(String[] a) { " +
			    "Map<String, Integer> m = new HashMap<>(); " +
			    "for (int i = 0; i < 3; i++) m.put(\"k\" + i, i);" +
			    " System.out.println(m); } }",
			"public class Bad { public String run() { " +
			    "return x; } }",
		};
		for (int i = 0; i < rounds; i++)
			for (String s : sources)
				compile(s.getBytes(StandardCharsets.UTF_8));
	}

	/** Send one answer; any thread may. */
	static void send(DataOutputStream out, int id, Answer a)
	    throws IOException {
		synchronized (out) {
			out.writeInt(id);
			out.writeByte(a.kind);
			out.writeInt(a.payload.length);
			out.write(a.payload);
			out.flush();
		}
	}

	/** Compile one request and answer it (on the compiler thread). */
	void answer(DataOutputStream out, int id, byte kind, byte[] src) {
		Answer a;
		try {
			a = kind == COMPILE_FILES ? compileFiles(src) :
			    compile(src);
		} catch (OutOfMemoryError e) {
			/* jdpd restarts us; the job gets an error. */
			System.err.println("compile server: " + e);
			Runtime.getRuntime().halt(3);
			return;
		} catch (StackOverflowError e) {
			/* A source nested too deeply (10000 parentheses). */
			pool = new JavacTaskPool(1);
			a = new Answer(COMPILE_ERROR, NESTED_TEXT);
		} catch (IOException | RuntimeException e) {
			/* javac's pooled context may be broken: a new one. */
			pool = new JavacTaskPool(1);
			a = new Answer(COMPILE_ERROR, COMPILE_TEXT +
			    "\nError:\njavac failed: " + e);
		}
		try {
			send(out, id, a);
		} catch (IOException e) {
			Runtime.getRuntime().halt(0); /* jdpd went away */
		}
	}

	/*
	 * Arguments: the largest request, the warm-up rounds, and "trusted"
	 * with the output limit of a job to run jobs here too.
	 */
	public static void main(String[] args) throws IOException {
		int max = args.length > 0 ? Integer.parseInt(args[0]) :
		    16 << 20;
		int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
		boolean trusted = args.length > 3 && args[2].equals("trusted");
		DataOutputStream out = new DataOutputStream(
		    new BufferedOutputStream(
		    new FileOutputStream(FileDescriptor.out), 1 << 16));
		/* Nothing but frames may reach our standard output. */
		PrintStream log = new PrintStream(
		    new FileOutputStream(FileDescriptor.err), true);
		System.setOut(log);
		DataInputStream in = new DataInputStream(
		    new BufferedInputStream(System.in, 1 << 16));

		CompileServer cs = new CompileServer(max);
		cs.warm(rounds);
		Trusted jobs = null;
		if (trusted) {
			long outputMax = Long.parseLong(args[3]);
			RunHarness.warm(outputMax, Math.min(rounds, 3));
			jobs = new Trusted(outputMax, out, log);
		}
		ExecutorService compiler = Executors.newSingleThreadExecutor(
		    r -> new Thread(r, "compiler"));
		send(out, 0, new Answer(READY, new byte[0]));
		for (;;) {
			int id, len;
			byte kind;
			try {
				id = in.readInt();
				kind = in.readByte();
				len = in.readInt();
			} catch (EOFException e) {
				System.exit(0); /* jdpd closed the pipe */
				return;
			}
			if (len < 0 || (kind == COMPILE && len > max) ||
			    (kind == COMPILE_FILES && len > 2L * max +
			    (1 << 20))) {
				System.err.println("bad request length " + len);
				System.exit(2);
			}
			byte[] payload = new byte[len];
			in.readFully(payload);
			final int request = id;
			final byte what = kind;
			if (kind == COMPILE || kind == COMPILE_FILES)
				compiler.execute(() -> cs.answer(out, request,
				    what, payload));
			else if (kind == RUN && jobs != null)
				jobs.run(id, payload);
			else if (kind == STOP && jobs != null)
				jobs.stop(id);
			else {
				System.err.println("bad request kind " + kind);
				System.exit(2);
			}
		}
	}
}
