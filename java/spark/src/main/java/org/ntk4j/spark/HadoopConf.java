package org.ntk4j.spark;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's Hadoop configuration (credentials and endpoints for HDFS, S3, …) carried to executors, where it is
 * rebuilt once per object. Local paths are opened without Hadoop's checksum layer, so a tile is one file whose
 * size can be checked.
 */
final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Every entry of the driver's configuration, name to value: what the executors rebuild it from. */
    private final HashMap<String, String> entries = new HashMap<>();
    private transient Configuration conf;

    HadoopConf(Configuration c) {
        for (Map.Entry<String, String> e : c) {
            entries.put(e.getKey(), e.getValue());
        }
        this.conf = c;
    }

    Configuration get() {
        if (conf == null) {
            Configuration c = new Configuration(false);
            entries.forEach(c::set);
            conf = c;
        }
        return conf;
    }

    FileSystem fileSystem(Path p) throws java.io.IOException {
        FileSystem fs = p.getFileSystem(get());
        return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    }
}
