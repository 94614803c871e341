package dev.kefu.loadtest.run;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * An append-only list that any thread may read while one thread appends (the meter and the message
 * generator read the visitors while a ramp adds them). Readers see every element below the size
 * they read; nothing is ever removed.
 */
final class Roster<T> extends AbstractList<T> implements RandomAccess {
    private volatile Object[] items = new Object[1024];
    private volatile int size;

    @Override
    public synchronized boolean add(T item) {
        Object[] a = items;
        if (size == a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        }
        a[size] = item;
        items = a;
        size = size + 1;
        return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T get(int index) {
        int n = size;
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException(index + " of " + n);
        }
        return (T) items[index];
    }

    @Override
    public int size() {
        return size;
    }
}
