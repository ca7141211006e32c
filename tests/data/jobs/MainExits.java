// A main() that prints, then exits 0: its output is the result.
public class MainExits {
	public static void main(String[] args) {
		System.out.println("printed before exit");
		System.exit(0);
	}
}
