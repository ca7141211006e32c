public class Throws {
	public String run() {
		throw new IllegalStateException("boom");
	}
}
