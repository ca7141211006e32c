import java.util.*;

// Allocates without end.
public class Hog {
	public String run() {
		List<long[]> l = new ArrayList<>();
		for (;;)
			l.add(new long[1 << 17]);
	}
}
