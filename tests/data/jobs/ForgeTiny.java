// Floods the harness's control channel (fd 3, reached by reflection) with
// 200000 tiny records ('R', empty), then returns. jdpd must end the JVM
// at the first unexpected record and go on.
import java.io.*;
import java.lang.reflect.Constructor;

public class ForgeTiny {
	public String run() throws Exception {
		Constructor<FileDescriptor> k =
		    FileDescriptor.class.getDeclaredConstructor(int.class);
		k.setAccessible(true);
		OutputStream ctl = new FileOutputStream(k.newInstance(3));
		byte[] b = new byte[5 * 200000];
		for (int i = 0; i < b.length; i += 5)
			b[i] = 'R';
		ctl.write(b);
		ctl.flush();
		return "not forged";
	}
}
