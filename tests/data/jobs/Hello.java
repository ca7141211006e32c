// An ordinary job: run() returns the result.
public class Hello {
	public String run() {
		return "Hello " + 6 * 7;
	}
}
