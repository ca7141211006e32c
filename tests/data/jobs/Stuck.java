// Leaves a thread blocked in accept(), which Thread.stop cannot end: in
// trusted mode only a new compile server does. Returns once the thread is
// in the native call (a stop before it would end the thread).
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
		for (;;) {
			StackTraceElement[] st = t.getStackTrace();
			if (st.length > 0 && st[0].isNativeMethod() &&
			    st[0].getClassName().equals("sun.nio.ch.Net"))
				return "stuck";
			Thread.sleep(10);
		}
	}
}
