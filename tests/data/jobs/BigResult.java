// Returns 10 MB, far beyond any output limit.
public class BigResult {
	public String run() {
		return "y".repeat(10 * 1000 * 1000);
	}
}
