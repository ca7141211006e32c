public class First {
	public String run() {
		return "first";
	}
}

public class Second {
}
