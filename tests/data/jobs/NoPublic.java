class NoPublic {
	public String run() {
		return "never";
	}
}
