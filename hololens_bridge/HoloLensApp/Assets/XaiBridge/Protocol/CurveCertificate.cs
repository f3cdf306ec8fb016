// Plain C# (no UnityEngine): ZeroMQ CURVE certificate files and Z85 (ZeroMQ RFC 32).
using System;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace XaiBridge.Protocol
{
    /// <summary>
    /// Z85, the ZeroMQ base-85 encoding of binary keys (https://rfc.zeromq.org/spec/32/):
    /// 4 bytes (big-endian) become 5 characters; a 32-byte CURVE key is 40 characters.
    /// </summary>
    public static class Z85
    {
        private const string Alphabet =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

        private static readonly int[] Values = BuildValues();

        private static int[] BuildValues()
        {
            var values = new int[128];
            for (int i = 0; i < values.Length; i++) values[i] = -1;
            for (int i = 0; i < Alphabet.Length; i++) values[Alphabet[i]] = i;
            return values;
        }

        /// <summary>Decodes Z85 text (length a multiple of 5); throws <see cref="FormatException"/> on bad input.</summary>
        public static byte[] Decode(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            if (text.Length % 5 != 0)
                throw new FormatException(string.Format("Z85 text length {0} is not a multiple of 5", text.Length));
            var bytes = new byte[text.Length / 5 * 4];
            for (int block = 0; block < text.Length / 5; block++)
            {
                ulong value = 0;
                for (int k = 0; k < 5; k++)
                {
                    char c = text[5 * block + k];
                    int digit = c < 128 ? Values[c] : -1;
                    if (digit < 0)
                        throw new FormatException(string.Format(
                            "character '{0}' at position {1} is not a Z85 digit", c, 5 * block + k));
                    value = value * 85 + (ulong)digit;
                }
                if (value > uint.MaxValue)
                    throw new FormatException(string.Format("Z85 block {0} exceeds 32 bits", block));
                bytes[4 * block] = (byte)(value >> 24);
                bytes[4 * block + 1] = (byte)(value >> 16);
                bytes[4 * block + 2] = (byte)(value >> 8);
                bytes[4 * block + 3] = (byte)value;
            }
            return bytes;
        }

        /// <summary>Encodes bytes (length a multiple of 4) as Z85 text.</summary>
        public static string Encode(byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (data.Length % 4 != 0)
                throw new ArgumentException(string.Format("Z85 needs a multiple of 4 bytes, got {0}", data.Length));
            var text = new StringBuilder(data.Length / 4 * 5);
            var digits = new char[5];
            for (int block = 0; block < data.Length / 4; block++)
            {
                uint value = (uint)(data[4 * block] << 24 | data[4 * block + 1] << 16
                                    | data[4 * block + 2] << 8 | data[4 * block + 3]);
                for (int k = 4; k >= 0; k--)
                {
                    digits[k] = Alphabet[(int)(value % 85)];
                    value /= 85;
                }
                text.Append(digits);
            }
            return text.ToString();
        }
    }

    /// <summary>
    /// A ZeroMQ CURVE certificate file as written by <c>xai-bridge-keygen</c> (pyzmq
    /// <c>zmq.auth.create_certificates</c>): a ZPL text whose <c>curve</c> section holds
    /// <c>public-key = "&lt;40 Z85 chars&gt;"</c> and, in the <c>.key_secret</c> file only,
    /// <c>secret-key = "..."</c>.
    /// </summary>
    public sealed class CurveCertificate
    {
        private static readonly Regex KeyLine =
            new Regex("^\\s*(public|secret)-key\\s*=\\s*\"([^\"]*)\"\\s*$", RegexOptions.CultureInvariant);

        /// <summary>32-byte public key.</summary>
        public byte[] PublicKey { get; private set; }

        /// <summary>32-byte secret key, or null for a public-only certificate.</summary>
        public byte[] SecretKey { get; private set; }

        public bool HasSecretKey { get { return SecretKey != null; } }

        /// <summary>Reads a certificate file; <see cref="FormatException"/> names the file when it is not one.</summary>
        public static CurveCertificate Load(string path)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException(string.Format(
                    "ZeroMQ certificate file not found: {0} (make one with xai-bridge-keygen)", path), path);
            return Parse(File.ReadAllText(path, Encoding.UTF8), path);
        }

        /// <summary>Parses certificate text; <paramref name="source"/> names it in error messages.</summary>
        public static CurveCertificate Parse(string text, string source)
        {
            if (text == null) throw new ArgumentNullException("text");
            string publicZ85 = null, secretZ85 = null;
            foreach (string rawLine in text.Split('\n'))
            {
                string line = rawLine.TrimEnd('\r');
                if (line.TrimStart().StartsWith("#", StringComparison.Ordinal)) continue;  // comment line
                Match match = KeyLine.Match(line);
                if (!match.Success) continue;
                if (match.Groups[1].Value == "public") publicZ85 = match.Groups[2].Value;
                else secretZ85 = match.Groups[2].Value;
            }
            if (publicZ85 == null)
                throw new FormatException(string.Format(
                    "{0} has no 'public-key = \"...\"' line: not a ZeroMQ certificate file", source));
            var certificate = new CurveCertificate { PublicKey = DecodeKey(publicZ85, "public-key", source) };
            if (secretZ85 != null) certificate.SecretKey = DecodeKey(secretZ85, "secret-key", source);
            return certificate;
        }

        private static byte[] DecodeKey(string z85, string name, string source)
        {
            if (z85.Length != 40)
                throw new FormatException(string.Format(
                    "{0}: {1} must be 40 Z85 characters (32 bytes), got {2}", source, name, z85.Length));
            try
            {
                return Z85.Decode(z85);
            }
            catch (FormatException e)
            {
                throw new FormatException(string.Format("{0}: {1}: {2}", source, name, e.Message), e);
            }
        }
    }
}
