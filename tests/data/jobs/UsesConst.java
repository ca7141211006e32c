// Refers to the class of an earlier job (Const): a compile error.
public class UsesConst {
	public String run() {
		return Const.K;
	}
}
