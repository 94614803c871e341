package dev.kefu.e2e.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy on 127.0.0.1 in front of the relay, with the three ways a network fails:
 * {@link #cutAll()} closes every open connection (a dropped Wi-Fi), {@link #refuseNew} closes new
 * connections at once (no route), and {@link #stall} stops passing bytes on, in both directions and
 * on new connections too, without closing anything (a pulled cable: nobody is told). Bytes held
 * during a stall are passed on when it ends, as TCP retransmission would.
 */
public final class TcpProxy implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 2000;

    private final ServerSocket server;
    private final int targetPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tcp-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile boolean refusing;
    private boolean stalled; // guarded by gate
    private int accepted;    // connections accepted so far, refused ones included; guarded by gate

    private TcpProxy(ServerSocket server, int targetPort) {
        this.server = server;
        this.targetPort = targetPort;
    }

    /** A proxy on a free port of 127.0.0.1 forwarding to 127.0.0.1:{@code targetPort}. */
    public static TcpProxy to(int targetPort) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TcpProxy proxy = new TcpProxy(server, targetPort);
        proxy.threads.execute(proxy::acceptLoop);
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** Closes every connection open now. */
    public void cutAll() {
        for (Link link : links) {
            link.close();
        }
    }

    /** While true, new connections are closed as soon as they are accepted. */
    public void refuseNew(boolean refuse) {
        refusing = refuse;
    }

    /** While true, no byte (and no close) passes in either direction, on any connection. */
    public void stall(boolean stall) {
        synchronized (gate) {
            stalled = stall;
            gate.notifyAll();
        }
    }

    /** Connections accepted so far, including those refused or stalled. */
    public int connectionsAccepted() {
        synchronized (gate) {
            return accepted;
        }
    }

    /**
     * Waits until {@code count} connections have been accepted in all: a way to let a client try
     * to reconnect a few times while the network is down.
     */
    public void awaitConnectionsAccepted(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (gate) {
            while (accepted < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("only " + accepted + " of " + count + " connections within " + timeout);
                }
                gate.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            synchronized (gate) {
                accepted++;
                gate.notifyAll();
            }
            if (refusing) {
                closeQuietly(client);
                continue;
            }
            threads.execute(() -> open(client));
        }
    }

    private void open(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), CONNECT_TIMEOUT_MS);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(client); // the relay is down: so is the connection
            closeQuietly(upstream);
            return;
        }
        Link link = new Link(client, upstream);
        links.add(link);
        threads.execute(() -> link.pump(client, upstream));
        threads.execute(() -> link.pump(upstream, client));
    }

    private void awaitFlowing() throws InterruptedException {
        synchronized (gate) {
            while (stalled) {
                gate.wait();
            }
        }
    }

    private final class Link {
        private final Socket client;
        private final Socket upstream;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n = in.read(buffer);
                    awaitFlowing(); // a stall holds bytes and the end of the stream alike
                    if (n < 0) {
                        break;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (SocketException e) {
                // one side closed or was cut
            } catch (IOException e) {
                // same: the link ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close();
            }
        }

        void close() {
            links.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        stall(false);
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        cutAll();
        threads.shutdownNow();
    }
}
