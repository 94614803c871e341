package dev.kefu.agent.chat;

/** The app's version as packaged (the jar manifest), {@code dev} when run from classes. */
final class AgentVersion {
    static final String VALUE = version();

    private AgentVersion() {}

    private static String version() {
        String v = AgentVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
