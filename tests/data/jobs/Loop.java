public class Loop {
	public String run() {
		long i = 0;
		while (i >= 0)
			i = (i + 1) % 1000;
		return "unreachable";
	}
}
