public class Broken {
	public String run() {
		return undefinedVariable;
	}
}
