import java.nio.file.*;

public class Shadow {
	public String run() {
		try {
			return "READ " + Files.readAllLines(Path.of("/etc/shadow")).size();
		} catch (Exception e) {
			return "blocked " + e.getClass().getSimpleName();
		}
	}
}
