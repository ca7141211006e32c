public class Sleeper {
	public String run() throws Exception {
		Thread.sleep(Long.MAX_VALUE);
		return "woke up";
	}
}
