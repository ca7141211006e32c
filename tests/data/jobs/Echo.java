// A main() job that copies its standard input to its output.
public class Echo {
	public static void main(String[] args) throws Exception {
		System.in.transferTo(System.out);
	}
}
