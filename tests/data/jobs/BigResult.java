// Returns 100 MB.
public class BigResult {
	public String run() {
		return "y".repeat(100 * 1000 * 1000);
	}
}
