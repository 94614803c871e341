package dev.kefu.installers;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Run inside a jlinked runtime (not by JUnit): proves the JDK modules the app needs are there.
 * {@code java -cp test-classes:APP.jar dev.kefu.installers.RuntimeSelfCheck KEYSTORE.p12 PASSWORD WORK_DIR}
 * prints one "ok ..." line per check and "ALL OK" last, or a stack trace and exit code 1.
 * The keystore holds an EC key pair made by the runtime's own keytool.
 */
public final class RuntimeSelfCheck {
    private RuntimeSelfCheck() {}

    public static void main(String[] args) throws Exception {
        Path keystore = Path.of(args[0]);
        char[] password = args[1].toCharArray();
        Path work = Path.of(args[2]);
        try {
            tls(keystore, password, "TLSv1.3");
            tls(keystore, password, "TLSv1.2");
            trustStore();
            hmac();
            pbkdf2();
            ecdh();
            sqlite(work);
            zipfs();
            HttpClient.newHttpClient();
            System.out.println("ok java.net.http HttpClient");
            System.out.println("ALL OK");
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }

    /** A TLS handshake and one byte each way over loopback, with the EC key (needs jdk.crypto.ec). */
    private static void tls(Path keystore, char[] password, String protocol) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance(protocol);
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setEnabledProtocols(new String[] {protocol});
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b + 1);
                    s.getOutputStream().flush();
                    return b;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket client = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                client.setEnabledProtocols(new String[] {protocol});
                client.startHandshake();
                OutputStream out = client.getOutputStream();
                out.write(41);
                out.flush();
                int answer = client.getInputStream().read();
                served.get(10, TimeUnit.SECONDS);
                if (answer != 42) {
                    throw new IllegalStateException("TLS echo answered " + answer);
                }
                System.out.println("ok tls " + client.getSession().getProtocol() + " " + client.getSession().getCipherSuite());
            }
        }
    }

    /** The runtime's cacerts (HTTPS to OSS and STS needs public CAs). */
    private static void trustStore() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        int cas = ((X509TrustManager) tmf.getTrustManagers()[0]).getAcceptedIssuers().length;
        if (cas < 50) {
            throw new IllegalStateException("only " + cas + " trusted CAs in the runtime's cacerts");
        }
        System.out.println("ok cacerts " + cas + " CAs");
    }

    /** RFC 4231 test case 1. */
    private static void hmac() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        byte[] key = new byte[20];
        java.util.Arrays.fill(key, (byte) 0x0b);
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String got = HexFormat.of().formatHex(mac.doFinal("Hi There".getBytes(StandardCharsets.US_ASCII)));
        expect("HmacSHA256", got, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    }

    /** PBKDF2-HMAC-SHA256("password", "salt", 1 iteration, 32 bytes): the published test vector. */
    private static void pbkdf2() throws Exception {
        SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
        byte[] dk = f.generateSecret(new PBEKeySpec("password".toCharArray(), "salt".getBytes(StandardCharsets.US_ASCII), 1, 256)).getEncoded();
        expect("PBKDF2WithHmacSHA256", HexFormat.of().formatHex(dk), "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
    }

    private static void ecdh() throws Exception {
        KeyPairGenerator.getInstance("EC").generateKeyPair();
        KeyPairGenerator.getInstance("X25519").generateKeyPair();
        System.out.println("ok EC and X25519 key pairs");
    }

    /** sqlite-jdbc extracts and loads its native library, then a WAL database takes a write. */
    private static void sqlite(Path work) throws Exception {
        Files.createDirectories(work);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + work.resolve("self-check.db"));
             Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)");
            st.execute("INSERT INTO t (body) VALUES ('你好')");
            try (ResultSet rs = st.executeQuery("SELECT sqlite_version(), (SELECT body FROM t LIMIT 1)")) {
                rs.next();
                expect("sqlite round trip", rs.getString(2), "你好");
                System.out.println("ok sqlite " + rs.getString(1));
            }
        }
    }

    private static void zipfs() throws Exception {
        Path zip = Files.createTempFile("self-check", ".zip");
        Files.delete(zip);
        try (FileSystem fs = FileSystems.newFileSystem(zip, java.util.Map.of("create", "true"))) {
            Files.writeString(fs.getPath("/x.txt"), "x");
        }
        Files.delete(zip);
        System.out.println("ok jdk.zipfs");
    }

    private static void expect(String what, String got, String want) {
        if (!want.equals(got)) {
            throw new IllegalStateException(what + ": got " + got + ", want " + want);
        }
        System.out.println("ok " + what);
    }
}
