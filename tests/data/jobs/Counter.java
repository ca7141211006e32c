// Static state must not survive from one job to the next.
public class Counter {
	static int runs;

	public String run() {
		runs++;
		return "runs=" + runs;
	}
}
