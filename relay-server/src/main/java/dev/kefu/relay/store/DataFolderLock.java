package dev.kefu.relay.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive hold on a data folder: a relay holds it while it runs, {@code kefu-relay restore}
 * while it replaces the store, so neither starts while the other (or a second relay) works there.
 * It is an OS lock on {@code DIR/kefu.lock} ({@link FileChannel#tryLock}: {@code fcntl} on Linux),
 * which the OS drops when the process ends, SIGKILL included; the file itself stays, holding the
 * pid of the last holder for error messages. Commands that only read or add rows ({@code site},
 * {@code agent}, {@code backup}) do not take it: SQLite orders their work with the relay's.
 *
 * <p>{@code fcntl} locks belong to the process, and closing any channel on the file drops them
 * all; so a second hold on the same folder from this JVM is refused from memory, before opening
 * the file (tests run a relay and the CLI in one JVM).
 */
public final class DataFolderLock implements AutoCloseable {
    public static final String FILE = "kefu.lock";
    private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

    /** The folder is held by another relay or restore, in this process or another. */
    public static final class Held extends StoreException {
        Held(String message) {
            super(message);
        }
    }

    private final Path folder;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private DataFolderLock(Path folder, FileChannel channel, FileLock lock) {
        this.folder = folder;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dataDir} (created if missing), or throws {@link Held} at once if
     * someone holds it; never waits.
     */
    public static DataFolderLock acquire(Path dataDir) {
        Path folder;
        try {
            Files.createDirectories(dataDir);
            folder = dataDir.toRealPath();
        } catch (IOException e) {
            throw new StoreException("cannot use the data folder " + dataDir + ": " + e.getMessage(), e);
        }
        Path file = folder.resolve(FILE);
        if (!HELD_HERE.add(folder)) {
            throw new Held("the data folder " + folder + " is in use by a relay or restore in this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new Held("the data folder " + folder + " is in use by a relay or restore"
                        + holder(file) + " (lock " + file + ")");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new DataFolderLock(folder, channel, lock);
        } catch (IOException | RuntimeException e) {
            HELD_HERE.remove(folder);
            closeQuietly(channel);
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("cannot lock the data folder " + folder + ": " + e.getMessage(), e);
        }
    }

    /** " (process N)" from the lock file, or "" when it cannot be read. */
    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d{1,10}") ? " (process " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    public Path folder() {
        return folder;
    }

    /** Releases the lock; later calls do nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel below releases it too
        }
        closeQuietly(channel);
        HELD_HERE.remove(folder);
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
