using System;
using HSRNav.Rules;
using Unity.MLAgents;
using Unity.MLAgents.SideChannels;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// Side channel <c>EpisodeConfigChannel</c>, UUID 3f6c2d1e-8b4a-4f1e-9c7d-2a5b6e8f9d01.
    /// <para>
    /// Python -> Unity: <c>{"mode": "goal"|"sketch", "layout": str, "seed": int, "sketch_id": str}</c>,
    /// applied when the next episode begins (absent keys take the defaults "goal", "", -1, ""; of
    /// several messages before that, the last one counts). Unity -> Python at each episode end:
    /// <c>{"episode": int, "layout": str, "seed": int, "status": {"step", "collisions", "success",
    /// "reason", "ade_m", "fde_m"}}</c> (unity_sim/CONTRACT.md).
    /// Each message is one ML-Agents string (int32 byte count + ASCII/UTF-8 bytes): Python writes it
    /// with <c>OutgoingMessage.write_string(json.dumps(...))</c> and reads reports with
    /// <c>msg.read_string()</c>. Raw UTF-8 bytes (<c>set_raw_bytes</c>) are accepted too.
    /// Parsing and writing are the plain-C# <see cref="EpisodeRequest"/> / <see cref="EpisodeReport"/>,
    /// tested under mono.
    /// </para>
    /// <para>
    /// A malformed message never stops the environment: it is logged with the reason, counted in
    /// <see cref="Rejected"/> and dropped; the previous configuration stays.
    /// </para>
    /// </summary>
    public sealed class EpisodeConfigChannel : SideChannel
    {
        public const string ChannelUuid = "3f6c2d1e-8b4a-4f1e-9c7d-2a5b6e8f9d01";

        private static EpisodeConfigChannel _shared;
        private static int _users;

        private readonly object _lock = new object();
        private EpisodeRequest _pending;

        public EpisodeConfigChannel()
        {
            ChannelId = new Guid(ChannelUuid);
        }

        /// <summary>Messages dropped because they were malformed.</summary>
        public int Rejected { get; private set; }

        /// <summary>Why the last message was dropped (null if none was).</summary>
        public string LastError { get; private set; }

        /// <summary>Messages accepted.</summary>
        public int Accepted { get; private set; }

        /// <summary>The channel of this process, registered with ML-Agents on first use (one per UUID).</summary>
        public static EpisodeConfigChannel Acquire()
        {
            if (_shared == null)
            {
                _shared = new EpisodeConfigChannel();
                SideChannelManager.RegisterSideChannel(_shared);
            }
            _users++;
            return _shared;
        }

        /// <summary>Releases a reference from <see cref="Acquire"/>; the last one unregisters the channel.</summary>
        public static void Release()
        {
            if (_users <= 0) return;
            _users--;
            if (_users == 0 && _shared != null)
            {
                if (Academy.IsInitialized) SideChannelManager.UnregisterSideChannel(_shared);
                _shared = null;
            }
        }

        protected override void OnMessageReceived(IncomingMessage msg)
        {
            try
            {
                var request = EpisodeRequest.Parse(SideChannelText.Decode(msg.GetRawBytes()));
                lock (_lock)
                {
                    _pending = request;
                    Accepted++;
                }
            }
            catch (MessageException e)
            {
                Rejected++;
                LastError = e.Message;
                Debug.LogWarning("EpisodeConfigChannel: message dropped (" + Rejected + " so far): " + e.Message);
            }
        }

        /// <summary>The configuration requested since the last call, if any.</summary>
        public bool TryTakePending(out EpisodeRequest request)
        {
            lock (_lock)
            {
                request = _pending;
                _pending = null;
                return request != null;
            }
        }

        /// <summary>Queues the end-of-episode report (sent with the next step's output).</summary>
        public void SendReport(string json)
        {
            using (var msg = new OutgoingMessage())
            {
                msg.WriteString(json);
                QueueMessageToSend(msg);
            }
        }
    }
}
