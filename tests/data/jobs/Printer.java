// Prints 100 MB.
public class Printer {
	public static void main(String[] args) {
		String line = "x".repeat(1023);
		for (int i = 0; i < 100 * 1024; i++)
			System.out.println(line);
	}
}
