package dev.snapstore.serve;

/** The protocol's numbers, named as in doc/proto.md of the NBD project. */
final class Wire {
    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454F5054L;
    static final long REPLY_MAGIC = 0x3e889045565a9L;
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 2;
    static final int FLAG_C_FIXED_NEWSTYLE = 1;
    static final int FLAG_C_NO_ZEROES = 2;

    static final int FLAG_HAS_FLAGS = 1;
    static final int FLAG_READ_ONLY = 1 << 1;
    static final int FLAG_SEND_FLUSH = 1 << 2;
    static final int FLAG_SEND_FUA = 1 << 3;
    static final int FLAG_SEND_TRIM = 1 << 5;
    static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    static final int FLAG_SEND_DF = 1 << 7;
    static final int FLAG_CAN_MULTI_CONN = 1 << 8;

    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;

    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_ERR_UNSUP = 0x80000001;
    static final int REP_ERR_INVALID = 0x80000003;
    static final int REP_ERR_UNKNOWN = 0x80000006;
    static final int REP_ERR_SHUTDOWN = 0x80000007;
    static final int REP_ERR_TOO_BIG = 0x80000009;

    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_CACHE = 5;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;

    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;

    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_ERROR = 0x8001;

    /** The only metadata context, and the id this server gives it. */
    static final String BASE_ALLOCATION = "base:allocation";

    static final int BASE_ALLOCATION_ID = 1;

    /** Strings (names, queries, messages) are at most this many bytes. */
    static final int MAX_STRING = 4096;
    /** Option data beyond this is not a client we want to parse; the connection is dropped. */
    static final int MAX_OPTION_LENGTH = 64 * 1024;
    /** Block status descriptors per reply chunk; the protocol allows up to 2^20. */
    static final int MAX_EXTENTS = 1 << 16;

    private Wire() {}

    static String commandName(int type) {
        switch (type) {
            case CMD_READ:
                return "READ";
            case CMD_WRITE:
                return "WRITE";
            case CMD_DISC:
                return "DISC";
            case CMD_FLUSH:
                return "FLUSH";
            case CMD_TRIM:
                return "TRIM";
            case CMD_CACHE:
                return "CACHE";
            case CMD_WRITE_ZEROES:
                return "WRITE_ZEROES";
            case CMD_BLOCK_STATUS:
                return "BLOCK_STATUS";
            default:
                return "command " + type;
        }
    }
}
