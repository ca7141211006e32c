// Returns at once but leaves a thread blocked in accept(), which
// Thread.stop cannot end: in trusted mode only a new compile server does.
import java.net.*;

public class Stuck {
	public String run() throws Exception {
		ServerSocket s = new ServerSocket(0, 1,
		    InetAddress.getLoopbackAddress());
		Thread t = new Thread(() -> {
			try {
				s.accept();
			} catch (Exception e) {
			}
		});
		t.start();
		return "stuck";
	}
}
