// Console test program for the plain-C# navigation rules (no NUnit here, no Unity): each test and
// each parity episode prints PASS or FAIL; the exit code is 1 when anything failed.
//
//   mono NavRulesTests.exe <parity_vectors.json> [<StreamingAssets/HSRNav>]
//
// The vectors come from the Python simulator (xai_sim.parity.write_parity_vectors): per step the
// inputs of the rules (collision flag, pose, distances) and what IndoorNavEnv.step returned. Every
// step is replayed twice: through NavRules.Step(collision, distanceBefore, distanceAfter) with the
// recorded distances, and through NavRules.Step(pose, collision) with the recorded poses (what the
// Unity agent calls). With the assets directory it also checks the exported layouts / sketches and
// the UnityEngine-free runtime parts (segmentation colours, procedural plans, task sampling and
// sub-goal placement). Run it through unity_sim/UnityProject/build_tests.sh.
//
// JSON: XaiBridge.Protocol.Tests.MiniJson, compiled in by path from the HoloLens app's tests.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using HSRNav.Rules;
using HSRNav.World;
using XaiBridge.Protocol.Tests;

namespace HSRNav.Rules.Tests
{
    /// <summary>A failed expectation; the message says what differed.</summary>
    public sealed class AssertionFailed : Exception
    {
        public AssertionFailed(string message) : base(message)
        {
        }
    }

    public static class NavRulesTests
    {
        /// <summary>Rewards: absolute tolerance (the brief: 1e-5).</summary>
        private const double RewardTolerance = 1e-5;

        /// <summary>ADE / FDE: absolute tolerance (inputs are written with 12 significant digits).</summary>
        private const double MetricTolerance = 1e-9;

        /// <summary>float32 observations written with 7 significant digits: relative tolerance.</summary>
        private const double ObservationTolerance = 2e-5;

        private static readonly string[] ActionNames = { "stop", "forward", "left", "right" };

        private static int _passed;
        private static int _failed;
        private static int _episodes;
        private static int _steps;

        public static int Main(string[] args)
        {
            if (args.Length < 1 || args.Length > 2)
            {
                Console.Error.WriteLine("usage: mono NavRulesTests.exe <parity_vectors.json> [<StreamingAssets/HSRNav>]");
                return 2;
            }
            Dictionary<string, object> doc;
            try
            {
                doc = (Dictionary<string, object>)MiniJson.Parse(File.ReadAllText(args[0], Encoding.UTF8));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("cannot read the parity vectors {0}: {1}", args[0], e.Message);
                return 2;
            }

            Run("wrap_angle like python", WrapAngleLikePython);
            Run("pairwise mean like numpy", PairwiseMeanLikeNumpy);
            Run("ros frames", RosFramesConvention);
            Run("rules refuse a step before begin and after the end", RulesGuardTheirState);
            Run("config validation names the key", ConfigValidation);
            Run("episode request parsing", EpisodeRequestParsing);
            Run("side-channel framing", SideChannelFraming);
            Run("episode report json", EpisodeReportJson);
            Run("defaults match xai_sim config.py", () => DefaultsMatch(doc));

            if (args.Length == 2)
            {
                string assets = args[1];
                Run("segmentation colours match xai_sim LABEL_COLORS", () => ColoursMatchExport(assets));
                Run("named layouts: sampled tasks and sub-goals", () => NamedLayoutTasks(assets));
                Run("procedural plans: every seed yields a task", ProceduralPlans);
                Run("sketches export: 100 waypoints in an exported layout", () => SketchesExport(assets));
            }

            var episodes = (List<object>)doc["episodes"];
            foreach (object e in episodes) ReplayEpisode((Dictionary<string, object>)e);

            Console.WriteLine("compared {0} episodes, {1} steps", _episodes, _steps);
            // The plain closing line CI reads: "N passed, N failed".
            Console.WriteLine("{0} passed, {1} failed", _passed, _failed);
            return _failed == 0 ? 0 : 1;
        }

        private static void Run(string name, Action test)
        {
            try
            {
                test();
                _passed++;
                Console.WriteLine("PASS " + name);
            }
            catch (Exception e)
            {
                _failed++;
                string what = e is AssertionFailed ? e.Message : e.GetType().Name + ": " + e.Message;
                Console.WriteLine("FAIL " + name + ": " + what);
            }
        }

        // ======================================================================================
        // Parity replay
        // ======================================================================================

        private static void ReplayEpisode(Dictionary<string, object> ep)
        {
            int index = Int(ep["index"]);
            string mode = (string)ep["mode"];
            var steps = (List<object>)ep["steps"];
            string label = string.Format(CultureInfo.InvariantCulture, "episode {0} ({1}, {2}, {3}{4})",
                index, mode, (string)ep["driver"], (string)ep["layout"],
                ep["sketch_id"] != null ? ", " + (string)ep["sketch_id"] : "");
            int step = 0;
            string part = "set-up";
            try
            {
                var config = (Dictionary<string, object>)ep["config"];
                var reward = ReadReward((Dictionary<string, object>)config["reward"]);
                var episode = ReadEpisode((Dictionary<string, object>)config["episode"]);
                var navMode = mode == "sketch" ? NavMode.Sketch : NavMode.Goal;
                var subgoals = new List<Vec2>();
                foreach (object p in (List<object>)ep["subgoals"])
                {
                    var xy = Doubles(p);
                    subgoals.Add(new Vec2(xy[0], xy[1]));
                }
                var s0 = Doubles(ep["start"]);
                var start = new Pose2(s0[0], s0[1], s0[2]);

                var fromDistances = new NavRules(reward, episode);
                var fromPoses = new NavRules(reward, episode);
                fromDistances.BeginEpisode(navMode, subgoals, start);
                fromPoses.BeginEpisode(navMode, subgoals, start);
                Equal(Int(ep["max_steps"]), fromPoses.MaxSteps, "max_steps");
                var initial = (Dictionary<string, object>)ep["initial"];
                Equal(Int(initial["i"]), fromPoses.SubgoalIndex, "initial sub-goal index");
                CheckGoalObservation(fromPoses, start, Doubles(initial["og"]), "initial observation 'goal'");

                int last = subgoals.Count - 1;
                foreach (object o in steps)
                {
                    var s = (Dictionary<string, object>)o;
                    step++;
                    _steps++;
                    bool collision = Flag(s, "c");
                    var pv = Doubles(s["p"]);
                    var pose = new Pose2(pv[0], pv[1], pv[2]);
                    int a = Int(s["a"]);
                    True(a >= 0 && a < 4, "action index " + a);

                    part = "rules from distances";
                    StepOutcome r1;
                    if (navMode == NavMode.Goal)
                    {
                        int from = Int(s["df"]);
                        var da = Doubles(s["da"]);
                        double dg = Double(s["dg"]);
                        Equal(from, fromDistances.SubgoalIndex, "sub-goal index before the step");
                        Func<int, double> after = i =>
                        {
                            if (i >= from && i < from + da.Length) return da[i - from];
                            if (i == last) return dg;
                            throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture,
                                "the rules read the distance to sub-goal {0}; the simulator only needed {1}..{2} and the goal",
                                i, from, from + da.Length - 1));
                        };
                        r1 = fromDistances.Step(collision, Double(s["db"]), after);
                    }
                    else
                    {
                        double dw = Double(s["dw"]);
                        int wanted = step - 1;
                        r1 = fromDistances.Step(collision, double.NaN, i =>
                        {
                            if (i != wanted)
                                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture,
                                    "sketch rules read waypoint {0}, expected the waypoint of this step ({1})", i, wanted));
                            return dw;
                        });
                    }
                    CheckOutcome(s, step, r1);

                    part = "rules from poses";
                    StepOutcome r2 = fromPoses.Step(pose, collision);
                    CheckOutcome(s, step, r2);
                    CheckGoalObservation(fromPoses, pose, Doubles(s["og"]), "observation 'goal'");
                    if (navMode == NavMode.Sketch)
                    {
                        double f, l;
                        fromPoses.WaypointObservation(pose, out f, out l);
                        var ow = Doubles(s["ow"]);
                        NearObs(ow[0], f, "observation 'waypoint'[0]");
                        NearObs(ow[1], l, "observation 'waypoint'[1]");
                    }
                }

                part = "end of episode";
                step = 0;
                var final = (Dictionary<string, object>)ep["final"];
                foreach (var rules in new[] { fromDistances, fromPoses })
                {
                    True(rules.Done, "the rules did not end the episode where the simulator did");
                    EpisodeStatus st = rules.Status();
                    Equal(Int(final["step"]), st.Step, "final step");
                    Equal(Int(final["collisions"]), st.Collisions, "final collisions");
                    Equal((bool)final["success"], st.Success, "final success");
                    Equal((string)final["reason"], st.Reason, "final reason");
                    Equal(Int(final["subgoal_index"]), st.SubgoalIndex, "final sub-goal index");
                    Equal(Int(final["num_subgoals"]), st.NumSubgoals, "number of sub-goals");
                    NearMetric(final["ade"], st.Ade, "ADE");
                    NearMetric(final["fde"], st.Fde, "FDE");
                }
                _episodes++;
                _passed++;
                Console.WriteLine("PASS {0}: {1} steps, {2}", label, steps.Count, (string)final["reason"]);
            }
            catch (Exception e)
            {
                _failed++;
                string what = e is AssertionFailed ? e.Message : e.GetType().Name + ": " + e.Message;
                string where = step > 0
                    ? string.Format(CultureInfo.InvariantCulture, " step {0} ({1}, action {2})", step, part,
                                    ActionAt(steps, step))
                    : " (" + part + ")";
                Console.WriteLine("FAIL episode {0}{1}: {2}", index, where, what);
            }
        }

        private static string ActionAt(List<object> steps, int step)
        {
            try
            {
                return ActionNames[Int(((Dictionary<string, object>)steps[step - 1])["a"])];
            }
            catch (Exception)
            {
                return "?";
            }
        }

        private static void CheckOutcome(Dictionary<string, object> s, int step, StepOutcome r)
        {
            double expected = Double(s["r"]);
            if (!(Math.Abs(expected - r.Reward) <= RewardTolerance))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture,
                    "reward expected {0:R}, got {1:R}", expected, r.Reward));
            Equal(Flag(s, "t"), r.Terminated, "terminated");
            Equal(Flag(s, "u"), r.Truncated, "truncated");
            Equal(Flag(s, "s"), r.Success, "success");
            Equal(Int(s["i"]), r.SubgoalIndex, "sub-goal index");
            Equal(Int(s["n"]), r.Collisions, "collisions");
            Equal(step, r.Step, "step count");
            object why;
            string reason = s.TryGetValue("why", out why) ? (string)why : EndReason.Running;
            Equal(reason, r.Reason, "reason");
        }

        private static void CheckGoalObservation(NavRules rules, Pose2 pose, double[] expected, string what)
        {
            var got = new float[4];
            rules.GoalObservation(pose, got);
            NearObs(expected[0], got[0], what + "[0] (sub-goal distance)");
            NearAngle(expected[1], got[1], what + "[1] (sub-goal bearing)");
            NearObs(expected[2], got[2], what + "[2] (goal distance)");
            NearAngle(expected[3], got[3], what + "[3] (goal bearing)");
        }

        private static RewardConfig ReadReward(Dictionary<string, object> d)
        {
            var c = new RewardConfig();
            foreach (var pair in d)
            {
                double v = Double(pair.Value);
                switch (pair.Key)
                {
                    case "progress_scale": c.ProgressScale = v; break;
                    case "subgoal_bonus": c.SubgoalBonus = v; break;
                    case "goal_bonus": c.GoalBonus = v; break;
                    case "collision_penalty": c.CollisionPenalty = v; break;
                    case "step_penalty": c.StepPenalty = v; break;
                    default: throw new AssertionFailed("C# RewardConfig has no field for reward." + pair.Key);
                }
            }
            return c;
        }

        private static EpisodeConfig ReadEpisode(Dictionary<string, object> d)
        {
            var c = new EpisodeConfig();
            foreach (var pair in d)
            {
                switch (pair.Key)
                {
                    case "max_steps": c.MaxSteps = Int(pair.Value); break;
                    case "subgoal_spacing_m": c.SubgoalSpacingM = Double(pair.Value); break;
                    case "subgoal_radius_m": c.SubgoalRadiusM = Double(pair.Value); break;
                    case "goal_radius_m": c.GoalRadiusM = Double(pair.Value); break;
                    case "max_collisions": c.MaxCollisions = Int(pair.Value); break;
                    case "sketch_success_radius_m": c.SketchSuccessRadiusM = Double(pair.Value); break;
                    case "min_path_m": c.MinPathM = Double(pair.Value); break;
                    case "max_path_m": c.MaxPathM = Double(pair.Value); break;
                    case "people_walking": c.PeopleWalking = (bool)pair.Value; break;
                    case "people_speed_m": c.PeopleSpeedM = Double(pair.Value); break;
                    case "sketch_pool": c.SketchPool = (string)pair.Value; break;
                    case "planner_resolution_m": c.PlannerResolutionM = Double(pair.Value); break;
                    case "planner_margin_m": c.PlannerMarginM = Double(pair.Value); break;
                    default: throw new AssertionFailed("C# EpisodeConfig has no field for episode." + pair.Key);
                }
            }
            return c;
        }

        private static void DefaultsMatch(Dictionary<string, object> doc)
        {
            var defaults = (Dictionary<string, object>)doc["defaults"];
            var py = ReadReward((Dictionary<string, object>)defaults["reward"]);
            var cs = new RewardConfig();
            Equal(py.ProgressScale, cs.ProgressScale, "reward.progress_scale default");
            Equal(py.SubgoalBonus, cs.SubgoalBonus, "reward.subgoal_bonus default");
            Equal(py.GoalBonus, cs.GoalBonus, "reward.goal_bonus default");
            Equal(py.CollisionPenalty, cs.CollisionPenalty, "reward.collision_penalty default");
            Equal(py.StepPenalty, cs.StepPenalty, "reward.step_penalty default");
            var pe = ReadEpisode((Dictionary<string, object>)defaults["episode"]);
            var ce = new EpisodeConfig();
            Equal(pe.MaxSteps, ce.MaxSteps, "episode.max_steps default");
            Equal(pe.SubgoalSpacingM, ce.SubgoalSpacingM, "episode.subgoal_spacing_m default");
            Equal(pe.SubgoalRadiusM, ce.SubgoalRadiusM, "episode.subgoal_radius_m default");
            Equal(pe.GoalRadiusM, ce.GoalRadiusM, "episode.goal_radius_m default");
            Equal(pe.MaxCollisions, ce.MaxCollisions, "episode.max_collisions default");
            Equal(pe.SketchSuccessRadiusM, ce.SketchSuccessRadiusM, "episode.sketch_success_radius_m default");
            Equal(pe.MinPathM, ce.MinPathM, "episode.min_path_m default");
            Equal(pe.MaxPathM, ce.MaxPathM, "episode.max_path_m default");
            Equal(pe.PeopleWalking, ce.PeopleWalking, "episode.people_walking default");
            Equal(pe.PeopleSpeedM, ce.PeopleSpeedM, "episode.people_speed_m default");
            Equal(pe.SketchPool, ce.SketchPool, "episode.sketch_pool default");
            Equal(pe.PlannerResolutionM, ce.PlannerResolutionM, "episode.planner_resolution_m default");
            Equal(pe.PlannerMarginM, ce.PlannerMarginM, "episode.planner_margin_m default");
        }

        // ======================================================================================
        // Unit tests
        // ======================================================================================

        private static void WrapAngleLikePython()
        {
            // Expected values: xai_sim.wrap_angle, printed with repr.
            var cases = new[]
            {
                Tuple.Create(0.0, 0.0),
                Tuple.Create(Math.PI, -3.141592653589793),
                Tuple.Create(-Math.PI, -3.141592653589793),
                Tuple.Create(3 * Math.PI, -3.141592653589793),
                Tuple.Create(-3 * Math.PI, -3.141592653589793),
                Tuple.Create(1e-17, 0.0),
                Tuple.Create(-1e-17, 0.0),
                Tuple.Create(7.5, 1.2168146928204138),
                Tuple.Create(-7.5, -1.2168146928204138),
                Tuple.Create(2 * Math.PI, 0.0),
                Tuple.Create(-2 * Math.PI, 0.0),
                Tuple.Create(100.0, -0.5309649148733762),
                Tuple.Create(3.1415926535897922, 3.1415926535897922),
            };
            foreach (var c in cases)
                Equal(c.Item2, NavMath.WrapAngle(c.Item1), "wrap_angle(" + c.Item1.ToString("R", CultureInfo.InvariantCulture) + ")");
        }

        private static void PairwiseMeanLikeNumpy()
        {
            // a[i] = sqrt(i + 1) * 0.1 + 1 / (i + 3): exactly rounded operations, the same doubles in
            // Python; expected = float(np.mean(a)). n = 129 differs from a naive sum in the last bit.
            var cases = new[]
            {
                Tuple.Create(5, 0.3862180755202639),
                Tuple.Create(100, 0.7085337713962204),
                Tuple.Create(129, 0.7921001359702945),
                Tuple.Create(300, 1.173483120851183),
            };
            foreach (var c in cases)
            {
                var a = new double[c.Item1];
                for (int i = 0; i < a.Length; i++) a[i] = Math.Sqrt(i + 1) * 0.1 + 1.0 / (i + 3);
                Equal(c.Item2, NavMath.Mean(a, a.Length), "mean of " + c.Item1 + " values");
            }
            True(double.IsNaN(NavMath.Mean(new double[0], 0)), "mean of nothing is NaN");
        }

        private static void RosFramesConvention()
        {
            double ux, uy, uz;
            RosFrames.ToUnity(1, 2, 3, out ux, out uy, out uz);
            Equal(-2.0, ux, "ros (1,2,3) -> unity x");
            Equal(3.0, uy, "ros (1,2,3) -> unity y");
            Equal(1.0, uz, "ros (1,2,3) -> unity z");
            double x, y, z;
            RosFrames.FromUnity(ux, uy, uz, out x, out y, out z);
            True(x == 1 && y == 2 && z == 3, "unity -> ros round trip");
            foreach (double yaw in new[] { 0.0, 0.3, 1.5707963267948966, -2.5, 3.0 })
            {
                // Unity's Quaternion.Euler(0, deg, 0) * Vector3.forward = (sin deg, 0, cos deg); it must
                // point where the ROS heading (cos yaw, sin yaw, 0) points, converted.
                double deg = RosFrames.YawToUnityDegrees(yaw) * Math.PI / 180.0;
                double hx, hy, hz;
                RosFrames.ToUnity(Math.Cos(yaw), Math.Sin(yaw), 0, out hx, out hy, out hz);
                True(Math.Abs(Math.Sin(deg) - hx) < 1e-12 && Math.Abs(Math.Cos(deg) - hz) < 1e-12,
                     "heading of yaw " + yaw.ToString("R", CultureInfo.InvariantCulture));
                double back = RosFrames.YawFromUnityDegrees(RosFrames.YawToUnityDegrees(yaw));
                True(Math.Abs(NavMath.WrapAngle(back - yaw)) < 1e-12, "yaw round trip " + yaw);
            }
            var pose = new Pose2(4.0, -1.5, 0.7);
            double px, pz, pd;
            RosFrames.PoseToUnity(pose, out px, out pz, out pd);
            var again = RosFrames.PoseFromUnity(px, pz, pd);
            True(Math.Abs(again.X - 4.0) < 1e-12 && Math.Abs(again.Y + 1.5) < 1e-12 && Math.Abs(again.Yaw - 0.7) < 1e-12,
                 "pose round trip: got " + again);
        }

        private static void RulesGuardTheirState()
        {
            var rules = new NavRules();
            Throws<InvalidOperationException>(() => rules.Step(new Vec2(0, 0), false), "step before BeginEpisode");
            Throws<ArgumentException>(() => rules.BeginEpisode(NavMode.Goal, new Vec2[0], new Pose2()), "no sub-goals");
            rules.BeginEpisode(NavMode.Goal, new[] { new Vec2(1.0, 0.0) }, new Pose2(0, 0, 0));
            StepOutcome o = rules.Step(new Vec2(0.25, 0), false);
            Near(-0.01 + 0.25, o.Reward, "progress reward of one forward step");
            o = rules.Step(new Vec2(0.25, 0), true);
            Near(-0.01 - 1.0, o.Reward, "blocked step");
            Equal(1, o.Collisions, "collisions");
            o = rules.Step(new Vec2(0.75, 0), false);
            Near(-0.01 + 0.5 + 10.0, o.Reward, "goal step (0.25 m away)");
            True(o.Terminated && o.Success && o.Reason == EndReason.GoalReached, "goal reached, success");
            Throws<InvalidOperationException>(() => rules.Step(new Vec2(0.75, 0), false), "step after the end");
            True(double.IsNaN(rules.Ade) && double.IsNaN(rules.Fde), "no ADE / FDE in goal mode");

            // Sketch: two waypoints, two steps, then ADE / FDE.
            rules.BeginEpisode(NavMode.Sketch, new[] { new Vec2(0.1, 0), new Vec2(0.2, 0) }, new Pose2(0, 0, 0));
            Equal(2, rules.MaxSteps, "sketch length is the step limit");
            o = rules.Step(new Vec2(0.25, 0), false);
            Near(-0.15, o.Reward, "sketch reward = -distance to the step's waypoint");
            Equal(1, o.SubgoalIndex, "waypoint index after step 1");
            o = rules.Step(new Vec2(0.25, 0), false);
            True(o.Terminated && !o.Truncated && o.Success && o.Reason == EndReason.SketchDone, "sketch done, success");
            Near((0.15 + 0.05) / 2, rules.Ade, "ADE");
            Near(0.05, rules.Fde, "FDE");
        }

        private static void ConfigValidation()
        {
            Throws<ArgumentException>(() => new NavRules(new RewardConfig { CollisionPenalty = 1.0 }),
                                      "positive collision penalty", "reward.collision_penalty");
            Throws<ArgumentException>(() => new NavRules(null, new EpisodeConfig { MaxSteps = 0 }),
                                      "max_steps 0", "episode.max_steps");
            Throws<ArgumentException>(() => new NavRules(null, new EpisodeConfig { MinPathM = 5, MaxPathM = 4 }),
                                      "max_path < min_path", "episode.max_path_m");
            Throws<ArgumentException>(() => new NavRules(new RewardConfig { GoalBonus = double.NaN }),
                                      "NaN bonus", "reward.goal_bonus");
        }

        private static void EpisodeRequestParsing()
        {
            var r = EpisodeRequest.Parse("{\"mode\": \"sketch\", \"layout\": \"office\", \"seed\": 42, \"sketch_id\": \"equal_l_office\"}");
            True(r.Mode == "sketch" && r.Layout == "office" && r.Seed == 42 && r.SketchId == "equal_l_office", "full request");
            // What xai_sim.unity.channel.EpisodeConfig.to_json() writes.
            r = EpisodeRequest.Parse("{\"mode\":\"goal\",\"layout\":\"\",\"seed\":-1,\"sketch_id\":\"\"}");
            True(r.Mode == "goal" && r.Layout == "" && r.Seed == EpisodeRequest.NoSeed && r.SketchId == "", "python's default config");
            r = EpisodeRequest.Parse("{\"seed\": 12345678901}");
            True(r.Mode == "goal" && r.Layout == "" && r.Seed == 12345678901L && r.SketchId == "", "absent keys take the defaults");
            True(EpisodeRequest.FoldSeed(7) == 7 && EpisodeRequest.FoldSeed(12345678901L) != 0, "seed folding");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"mode\": \"fly\"}"), "bad mode", "mode must be");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"seed\": 1.5}"), "fractional seed", "seed must be an integer");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"seed\": -2}"), "seed below -1", "seed must be an integer >= -1");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"layuot\": \"office\"}"), "typo", "unknown key 'layuot'");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"layout\": 3}"), "number layout", "layout must be a string");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"layout\": null}"), "null layout", "layout must be a string");
            Throws<MessageException>(() => EpisodeRequest.Parse("[1, 2]"), "array", "expected a JSON object");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"mode\": \"goal\""), "truncated", "JSON");
            Throws<MessageException>(() => EpisodeRequest.Parse("{\"seed\": 1, \"seed\": 2}"), "duplicate", "duplicate key");
        }

        private static void SideChannelFraming()
        {
            string json = "{\"mode\":\"goal\"}";
            byte[] framed = SideChannelText.Encode(json);
            Equal(json.Length + 4, framed.Length, "framed length");
            Equal(json.Length, (int)framed[0], "length prefix");
            Equal(json, SideChannelText.Decode(framed), "length-prefixed string");
            Equal(json, SideChannelText.Decode(Encoding.UTF8.GetBytes(json)), "raw UTF-8 bytes");
            Equal("{\"layout\":\"caf\u00e9\"}", SideChannelText.Decode(Encoding.UTF8.GetBytes("{\"layout\":\"caf\u00e9\"}")),
                  "raw UTF-8 with a non-ASCII character");
            Throws<MessageException>(() => SideChannelText.Decode(new byte[0]), "empty", "empty");
            Throws<MessageException>(() => SideChannelText.Decode(new byte[] { 0x7b, 0xff, 0xfe, 0x7d, 0x20 }), "not UTF-8", "UTF-8");
        }

        private static void EpisodeReportJson()
        {
            var goal = new EpisodeStatus
            {
                Step = 37, Collisions = 1, Success = true, Reason = EndReason.GoalReached,
                Ade = double.NaN, Fde = double.NaN,
            };
            string text = EpisodeReport.ToJson(3, "procedural", 12345678901L, goal);
            Console.WriteLine("REPORT " + text);  // test_csharp_rules.py parses it with xai_sim.unity.channel
            var d = (Dictionary<string, object>)MiniJson.Parse(text);
            Equal(3L, (long)d["episode"], "episode");
            Equal("procedural", (string)d["layout"], "layout");
            Equal(12345678901L, (long)d["seed"], "seed");
            var st = (Dictionary<string, object>)d["status"];
            Equal(37L, (long)st["step"], "status.step");
            Equal(1L, (long)st["collisions"], "status.collisions");
            Equal(true, (bool)st["success"], "status.success");
            Equal("goal_reached", (string)st["reason"], "status.reason");
            Equal(-1.0, (double)st["ade_m"], "ade_m outside sketch mode");
            Equal(-1.0, (double)st["fde_m"], "fde_m outside sketch mode");
            Equal(6, st.Count, "status keys");

            var sketch = new EpisodeStatus
            {
                Step = 100, Collisions = 0, Success = false, Reason = EndReason.SketchDone, Ade = 0.1234, Fde = 2.0,
            };
            text = EpisodeReport.ToJson(4, "caf\u00e9 \"hall\"", -1, sketch);
            Console.WriteLine("REPORT " + text);
            foreach (char c in text) True(c >= 0x20 && c < 0x7f, "report is printable ASCII: " + text);
            d = (Dictionary<string, object>)MiniJson.Parse(text);
            Equal("caf\u00e9 \"hall\"", (string)d["layout"], "escaped layout round trip");
            st = (Dictionary<string, object>)d["status"];
            Equal(0.1234, (double)st["ade_m"], "status.ade_m");
            Equal(2.0, (double)st["fde_m"], "status.fde_m (written as a float, 2.0)");
            True(text.Contains("\"fde_m\":2.0"), "whole-number metres keep a decimal point: " + text);
        }

        // ======================================================================================
        // World model and planner (UnityEngine-free runtime parts)
        // ======================================================================================

        private static Dictionary<string, object> ReadJson(string path)
        {
            return (Dictionary<string, object>)MiniJson.Parse(File.ReadAllText(path, Encoding.UTF8));
        }

        private static List<LayoutData> ReadLayouts(string assets)
        {
            var list = new List<LayoutData>();
            foreach (object o in (List<object>)ReadJson(Path.Combine(assets, "layouts.json"))["layouts"])
            {
                var d = (Dictionary<string, object>)o;
                var boxes = new List<LayoutBox>();
                foreach (object bo in (List<object>)d["boxes"])
                {
                    var b = (Dictionary<string, object>)bo;
                    boxes.Add(new LayoutBox(Double(b["xmin"]), Double(b["ymin"]), Double(b["xmax"]), Double(b["ymax"]),
                                            Double(b["height"]), (SemanticClass)Int(b["label"])));
                }
                var people = new List<LayoutPerson>();
                foreach (object po in (List<object>)d["people"])
                {
                    var p = (Dictionary<string, object>)po;
                    people.Add(new LayoutPerson { x = Double(p["x"]), y = Double(p["y"]) });
                }
                list.Add(new LayoutData
                {
                    name = (string)d["name"], bounds = Doubles(d["bounds"]), boxes = boxes.ToArray(), people = people.ToArray(),
                });
            }
            return list;
        }

        private static void ColoursMatchExport(string assets)
        {
            var colours = (List<object>)ReadJson(Path.Combine(assets, "layouts.json"))["label_colors"];
            Equal(SemanticColors.Label.Length, colours.Count, "number of labels");
            foreach (object o in colours)
            {
                var c = (Dictionary<string, object>)o;
                int label = Int(c["label"]);
                byte[] rgb = SemanticColors.Label[label];
                string what = "colour of " + (string)c["name"];
                Equal(Int(c["r"]), (int)rgb[0], what + " (r)");
                Equal(Int(c["g"]), (int)rgb[1], what + " (g)");
                Equal(Int(c["b"]), (int)rgb[2], what + " (b)");
                Equal((string)c["name"], ((SemanticClass)label).ToString().ToLowerInvariant(), "label name " + label);
            }
        }

        /// <summary>A task's path and sub-goals are what the rules and the robot expect.</summary>
        private static void CheckTask(LayoutData layout, List<double[]> people, List<Vec2> path, EpisodeConfig ep,
                                      RobotConfig robot, string what)
        {
            double length = SubgoalPlanner.PathLength(path);
            True(length >= ep.MinPathM - 1e-9 && length <= ep.MaxPathM + 1e-9, what + ": path length " + length);
            var subgoals = SubgoalPlanner.SubgoalsAlong(path, ep.SubgoalSpacingM);
            Vec2 goal = path[path.Count - 1];
            True(subgoals[subgoals.Count - 1].X == goal.X && subgoals[subgoals.Count - 1].Y == goal.Y, what + ": last sub-goal is the goal");
            Vec2 previous = path[0];
            foreach (Vec2 sg in subgoals)
            {
                double gap = Vec2.Distance(previous, sg);
                True(gap <= 1.5 * ep.SubgoalSpacingM + 1e-9, what + ": sub-goals " + gap + " m apart");
                // Driving straight from one sub-goal to the next keeps the robot disk clear.
                int n = Math.Max(2, (int)(gap / 0.02) + 1);
                for (int k = 0; k <= n; k++)
                {
                    double t = (double)k / n;
                    double x = previous.X + t * (sg.X - previous.X), y = previous.Y + t * (sg.Y - previous.Y);
                    True(!layout.Collides(x, y, robot.RadiusM, people),
                         string.Format(CultureInfo.InvariantCulture, "{0}: the leg to sub-goal {1} collides at ({2:F2}, {3:F2})", what, sg, x, y));
                }
                previous = sg;
            }
        }

        private static void NamedLayoutTasks(string assets)
        {
            var ep = new EpisodeConfig();
            var robot = new RobotConfig();
            var layouts = ReadLayouts(assets);
            Equal(4, layouts.Count, "number of named layouts");
            foreach (LayoutData layout in layouts)
            {
                for (int seed = 0; seed < 5; seed++)
                {
                    var people = layout.PeopleXY();
                    var path = SubgoalPlanner.SampleTask(layout, people, new Random(seed), ep, robot);
                    string what = layout.name + " seed " + seed;
                    True(path != null, what + ": no task");
                    CheckTask(layout, people, path, ep, robot, what);
                }
            }
        }

        private static void ProceduralPlans()
        {
            var ep = new EpisodeConfig();
            var robot = new RobotConfig();
            for (int seed = 0; seed < 30; seed++)
            {
                var rng = new Random(seed);
                List<Vec2> path = null;
                LayoutData layout = null;
                List<double[]> people = null;
                for (int attempt = 0; attempt < 20 && path == null; attempt++)  // as HSRAgent.OnEpisodeBegin
                {
                    layout = ProceduralLayouts.Generate(rng);
                    people = layout.PeopleXY();
                    path = SubgoalPlanner.SampleTask(layout, people, rng, ep, robot);
                }
                string what = "procedural seed " + seed;
                True(path != null, what + ": no task in 20 plans");
                True(layout.boxes.Length >= 4 && layout.bounds[2] - layout.bounds[0] >= 10 && layout.bounds[3] - layout.bounds[1] >= 8,
                     what + ": implausible plan");
                True(people.Count <= 3, what + ": too many people");
                CheckTask(layout, people, path, ep, robot, what);
                // Same seed, same plan.
                var again = ProceduralLayouts.Generate(new Random(seed));
                var first = ProceduralLayouts.Generate(new Random(seed));
                Equal(first.boxes.Length, again.boxes.Length, what + ": deterministic plan");
            }
        }

        private static void SketchesExport(string assets)
        {
            var names = new HashSet<string>();
            foreach (LayoutData l in ReadLayouts(assets)) names.Add(l.name);
            var sketches = (List<object>)ReadJson(Path.Combine(assets, "sketches.json"))["sketches"];
            Equal(10, sketches.Count, "number of evaluation sketches");
            foreach (object o in sketches)
            {
                var s = (Dictionary<string, object>)o;
                string id = (string)s["id"];
                Equal(200, Doubles(s["waypoints_xy"]).Length, id + ": waypoints_xy length");
                Equal(3, Doubles(s["start_pose"]).Length, id + ": start_pose length");
                True(names.Contains((string)s["layout"]), id + ": layout " + (string)s["layout"] + " is not exported");
            }
        }

        // ======================================================================================
        // Helpers
        // ======================================================================================

        private static int Int(object o)
        {
            if (o is long) return checked((int)(long)o);
            throw new AssertionFailed("expected an integer, got " + (o == null ? "null" : o.GetType().Name));
        }

        private static double Double(object o)
        {
            if (o is double) return (double)o;
            if (o is long) return (long)o;
            throw new AssertionFailed("expected a number, got " + (o == null ? "null" : o.GetType().Name));
        }

        private static double[] Doubles(object o)
        {
            var list = (List<object>)o;
            var a = new double[list.Count];
            for (int i = 0; i < a.Length; i++) a[i] = Double(list[i]);
            return a;
        }

        private static bool Flag(Dictionary<string, object> s, string key)
        {
            object v;
            if (!s.TryGetValue(key, out v)) return false;
            return Int(v) != 0;
        }

        private static void True(bool condition, string message)
        {
            if (!condition) throw new AssertionFailed(message);
        }

        private static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1}, got {2}",
                                                        what, Show(expected), Show(actual)));
        }

        private static string Show(object o)
        {
            if (o is double) return ((double)o).ToString("R", CultureInfo.InvariantCulture);
            if (o is bool) return (bool)o ? "true" : "false";
            return o == null ? "null" : Convert.ToString(o, CultureInfo.InvariantCulture);
        }

        private static void Near(double expected, double actual, string what)
        {
            if (!(Math.Abs(expected - actual) <= 1e-12))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1:R}, got {2:R}",
                                                        what, expected, actual));
        }

        private static void NearObs(double expected, double actual, string what)
        {
            if (!(Math.Abs(expected - actual) <= ObservationTolerance * Math.Max(1.0, Math.Abs(expected))))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1:R}, got {2:R}",
                                                        what, expected, actual));
        }

        private static void NearAngle(double expected, double actual, string what)
        {
            // -pi and +pi are the same bearing: a value on the wrap boundary may land on either side.
            double diff = Math.Abs(NavMath.WrapAngle(expected - actual));
            if (!(diff <= ObservationTolerance * Math.PI))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1:R}, got {2:R}",
                                                        what, expected, actual));
        }

        private static void NearMetric(object expected, double actual, string what)
        {
            if (expected == null)
            {
                True(double.IsNaN(actual), what + ": the simulator reports none, got " + Show(actual));
                return;
            }
            double e = Double(expected);
            if (!(Math.Abs(e - actual) <= MetricTolerance))
                throw new AssertionFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1:R}, got {2:R}",
                                                        what, e, actual));
        }

        private static void Throws<TException>(Action action, string what, string fragment = null)
            where TException : Exception
        {
            try
            {
                action();
            }
            catch (TException e)
            {
                if (fragment != null && e.Message.IndexOf(fragment, StringComparison.Ordinal) < 0)
                    throw new AssertionFailed(string.Format("{0}: the message \"{1}\" does not mention \"{2}\"",
                                                            what, e.Message, fragment));
                return;
            }
            catch (Exception e)
            {
                throw new AssertionFailed(string.Format("{0}: expected {1}, got {2}: {3}",
                                                        what, typeof(TException).Name, e.GetType().Name, e.Message));
            }
            throw new AssertionFailed(what + ": no exception, expected " + typeof(TException).Name);
        }
    }
}
