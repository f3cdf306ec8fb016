// Plain C# (no UnityEngine): the length-prefixed framing of PROTOCOL.md "WebSocket framing".
using System;

namespace XaiBridge.Protocol
{
    /// <summary>
    /// One binary WebSocket message (web gateway -> browser) or one golden file on disk:
    /// <code>uint32 LE topic_len | topic bytes | uint32 LE header_len | header bytes | payload bytes</code>
    /// The payload is whatever follows the header (possibly nothing).
    /// </summary>
    public static class WsFraming
    {
        /// <summary>
        /// Splits a framed message into the three frames <c>[topic, header, payload]</c>.
        /// Throws <see cref="ProtocolException"/> when the buffer ends before a length prefix or
        /// before the bytes that a prefix announces.
        /// </summary>
        public static byte[][] Unpack(byte[] message)
        {
            if (message == null) throw new ArgumentNullException("message");
            int offset = 0;
            byte[] topic = ReadPrefixed(message, ref offset, "topic");
            byte[] header = ReadPrefixed(message, ref offset, "header");
            var payload = new byte[message.Length - offset];
            Buffer.BlockCopy(message, offset, payload, 0, payload.Length);
            return new[] { topic, header, payload };
        }

        /// <summary>Inverse of <see cref="Unpack"/> (used by tests and tools).</summary>
        public static byte[] Pack(byte[] topic, byte[] header, byte[] payload)
        {
            if (topic == null || header == null || payload == null)
                throw new ArgumentNullException(topic == null ? "topic" : header == null ? "header" : "payload");
            var message = new byte[8 + topic.Length + header.Length + payload.Length];
            int offset = 0;
            WriteUInt32(message, ref offset, (uint)topic.Length);
            Buffer.BlockCopy(topic, 0, message, offset, topic.Length);
            offset += topic.Length;
            WriteUInt32(message, ref offset, (uint)header.Length);
            Buffer.BlockCopy(header, 0, message, offset, header.Length);
            offset += header.Length;
            Buffer.BlockCopy(payload, 0, message, offset, payload.Length);
            return message;
        }

        private static byte[] ReadPrefixed(byte[] message, ref int offset, string name)
        {
            if (message.Length - offset < 4)
                throw new ProtocolException(string.Format(
                    "WebSocket message ends before the {0} length ({1} bytes in all)", name, message.Length));
            uint length = (uint)(message[offset] | (message[offset + 1] << 8)
                                 | (message[offset + 2] << 16) | (message[offset + 3] << 24));
            offset += 4;
            int left = message.Length - offset;
            if (length > (uint)left)
                throw new ProtocolException(string.Format(
                    "WebSocket {0} length {1} runs past the end of the message ({2} bytes left)", name, length, left));
            var frame = new byte[length];
            Buffer.BlockCopy(message, offset, frame, 0, (int)length);
            offset += (int)length;
            return frame;
        }

        private static void WriteUInt32(byte[] buffer, ref int offset, uint value)
        {
            buffer[offset] = (byte)value;
            buffer[offset + 1] = (byte)(value >> 8);
            buffer[offset + 2] = (byte)(value >> 16);
            buffer[offset + 3] = (byte)(value >> 24);
            offset += 4;
        }
    }
}
