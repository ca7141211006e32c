// Sleeps 4 s, then answers.
public class Nap {
	public String run() throws Exception {
		Thread.sleep(4000);
		return "rested";
	}
}
