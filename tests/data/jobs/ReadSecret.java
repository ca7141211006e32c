import java.nio.file.*;

// Reads a file the test placed outside what the sandbox binds (SECRET is
// replaced by its path): a key under the install's sysconfdir.
public class ReadSecret {
	public String run() {
		try {
			return "READ " + Files.readString(Path.of("SECRET")).trim();
		} catch (Exception e) {
			return "blocked " + e.getClass().getSimpleName();
		}
	}
}
