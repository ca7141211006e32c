public class ReturnsInt {
	public int run() {
		return 42;
	}
}
