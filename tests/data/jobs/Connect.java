import java.net.*;

// Connects to a port on the host (PORT is filled in by the test).
public class Connect {
	public String run() {
		try (Socket s = new Socket()) {
			s.connect(new InetSocketAddress("127.0.0.1", PORT), 2000);
			return "CONNECTED";
		} catch (Exception e) {
			return "blocked " + e.getClass().getSimpleName();
		}
	}
}
