public class Latin {
	public String run() {
		return "café";
	}
}
