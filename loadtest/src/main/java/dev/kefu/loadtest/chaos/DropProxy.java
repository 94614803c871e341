package dev.kefu.loadtest.chaos;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 that can go silent: while dropping it stops reading from both sides of
 * every connection and leaves new ones accepted but unanswered, without closing anything. Bytes
 * then wait in the kernel's buffers, TCP windows fill and senders stall, as in a network partition
 * where packets are dropped and retransmitted; nobody sees a FIN or RST. When the drop ends,
 * forwarding resumes: connections both ends kept are intact (late, nothing lost), and one end that
 * gave up meanwhile is seen closing and the other end is closed too.
 *
 * <p>One selector thread; each direction of a connection has a 64 KiB buffer.
 */
public final class DropProxy implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    private final InetSocketAddress target;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Set<Pair> pairs = new HashSet<>();
    private final List<SocketChannel> held = new ArrayList<>();
    private volatile boolean dropping;
    private volatile boolean running = true;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong forwardedBytes = new AtomicLong();

    public DropProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::loop, "drop-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public boolean dropping() {
        return dropping;
    }

    /** Starts or ends a silent drop of every connection through this proxy. */
    public void dropping(boolean on) {
        tasks.add(() -> {
            dropping = on;
            if (!on) {
                for (SocketChannel c : held) {
                    connectUpstream(c);
                }
                held.clear();
            }
            for (Pair p : new ArrayList<>(pairs)) {
                p.updateInterest();
            }
        });
        selector.wakeup();
    }

    public long accepted() {
        return accepted.get();
    }

    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    private void loop() {
        while (running) {
            try {
                selector.select(1000);
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        accept();
                    } else {
                        ((Pair) k.attachment()).ready(k);
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            accepted.incrementAndGet();
            c.configureBlocking(false);
            c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            if (dropping) {
                held.add(c);
            } else {
                connectUpstream(c);
            }
        }
    }

    private void connectUpstream(SocketChannel client) {
        try {
            SocketChannel up = SocketChannel.open();
            up.configureBlocking(false);
            up.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            Pair p = new Pair(client, up);
            pairs.add(p);
            if (up.connect(target)) {
                p.connected();
            } else {
                p.upKey = up.register(selector, SelectionKey.OP_CONNECT, p);
            }
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /** Both directions of one proxied connection. */
    private final class Pair {
        final SocketChannel client;
        final SocketChannel up;
        final ByteBuffer toUp = ByteBuffer.allocate(BUFFER);
        final ByteBuffer toClient = ByteBuffer.allocate(BUFFER);
        SelectionKey clientKey;
        SelectionKey upKey;
        boolean isConnected;
        boolean closed;

        Pair(SocketChannel client, SocketChannel up) {
            this.client = client;
            this.up = up;
        }

        void connected() throws IOException {
            isConnected = true;
            clientKey = client.register(selector, 0, this);
            if (upKey == null) {
                upKey = up.register(selector, 0, this);
            }
            updateInterest();
        }

        void ready(SelectionKey k) {
            try {
                if (k.isConnectable()) {
                    up.finishConnect();
                    connected();
                    return;
                }
                if (dropping) {
                    updateInterest();
                    return;
                }
                boolean fromClient = k.channel() == client;
                if (k.isReadable()) {
                    SocketChannel from = fromClient ? client : up;
                    ByteBuffer buf = fromClient ? toUp : toClient;
                    int n = from.read(buf);
                    if (n < 0) {
                        close();
                        return;
                    }
                    flush(fromClient ? up : client, buf);
                }
                if (k.isValid() && k.isWritable()) {
                    flush(fromClient ? client : up, fromClient ? toClient : toUp);
                }
                updateInterest();
            } catch (IOException | RuntimeException e) {
                close();
            }
        }

        private void flush(SocketChannel to, ByteBuffer buf) throws IOException {
            buf.flip();
            int n = to.write(buf);
            forwardedBytes.addAndGet(n);
            buf.compact();
        }

        void updateInterest() {
            if (closed || !isConnected) {
                return;
            }
            if (dropping) {
                clientKey.interestOps(0);
                upKey.interestOps(0);
                return;
            }
            clientKey.interestOps((toUp.position() == 0 ? SelectionKey.OP_READ : 0)
                    | (toClient.position() > 0 ? SelectionKey.OP_WRITE : 0));
            upKey.interestOps((toClient.position() == 0 ? SelectionKey.OP_READ : 0)
                    | (toUp.position() > 0 ? SelectionKey.OP_WRITE : 0));
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            pairs.remove(this);
            closeQuietly(client);
            closeQuietly(up);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pair p : new ArrayList<>(pairs)) {
            p.close();
        }
        held.forEach(DropProxy::closeQuietly);
        try {
            server.close();
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
