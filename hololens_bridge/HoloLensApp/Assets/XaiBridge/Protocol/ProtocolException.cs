// Plain C# (no UnityEngine): compiled by Unity as the XaiBridge.Protocol assembly and by mono
// for the decoder tests (HoloLensApp/build_tests.sh).
using System;

namespace XaiBridge.Protocol
{
    /// <summary>
    /// A message (or a piece of one) that does not follow hololens_bridge/PROTOCOL.md.
    /// The message is a sentence that names what is wrong, so the subscriber can log it,
    /// count it and drop the frame instead of crashing.
    /// </summary>
    public sealed class ProtocolException : Exception
    {
        public ProtocolException(string message) : base(message)
        {
        }

        public ProtocolException(string message, Exception inner) : base(message, inner)
        {
        }
    }
}
