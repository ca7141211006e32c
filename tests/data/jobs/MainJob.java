// A main() job: the result is what it prints.
import java.util.*;

public class MainJob {
	public static void main(String[] args) {
		List<String> l = new ArrayList<>(List.of("c", "a", "b"));
		Collections.sort(l);
		System.out.println("sorted " + l);
		System.out.print("done");
	}
}
