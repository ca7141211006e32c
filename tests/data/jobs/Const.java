// Defines a public class with a constant. A later job refers to it
// (UsesConst): it must not compile, jobs never see each other's classes.
public class Const {
	public static final String K = "leaked";

	public String run() {
		return K;
	}
}
