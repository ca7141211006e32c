// Slow to compile: javac attributes each nested conditional once per
// overload of h, 2^16 times over (hours), while it runs in no time.
// Its compile must not hold the compile server past the job's limit.
public class SlowCompile {
	static boolean b;

	static <T> T h(T t) {
		return t;
	}

	static String h(String t) {
		return t;
	}

	public String run() {
		Object o = (b ? h((b ? h((b ? h((b ? h((b ? h((b ? h((b ? h((b ?
		    h((b ? h((b ? h((b ? h((b ? h((b ? h((b ? h((b ? h((b ?
		    h(1) : h(1))) : h(1))) : h(1))) : h(1))) : h(1))) : h(1)))
		    : h(1))) : h(1))) : h(1))) : h(1))) : h(1))) : h(1))) :
		    h(1))) : h(1))) : h(1))) : h(1));
		return "compiled " + o;
	}
}
