using System;
using System.Collections.Generic;
using HSRNav.Rules;
using HSRNav.World;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// People as grey cylinders (radius 0.25 m, height 1.7 m, CapsuleCollider) at the layout's person
    /// positions. With <c>EpisodeConfig.PeopleWalking</c> they walk like xai_sim's _move_people: a
    /// random heading drawn at episode begin, <c>PeopleSpeedM</c> per step, and a person whose next
    /// position would hit a wall / furniture, the robot or another person reverses instead of moving.
    /// Positions are kept in the ROS world frame (double precision); the transforms follow.
    /// </summary>
    public class PeopleSpawner : MonoBehaviour
    {
        [Tooltip("Layer of the people colliders (they block the robot). Empty = Default.")]
        public string personLayer = "";

        private readonly List<double[]> _xy = new List<double[]>();
        private readonly List<double[]> _velocity = new List<double[]>();
        private readonly List<GameObject> _bodies = new List<GameObject>();

        /// <summary>Person centres [x, y] (ROS world frame, m).</summary>
        public IList<double[]> PeopleXY
        {
            get { return _xy; }
        }

        /// <summary>Places one person per entry of <paramref name="people"/>, with a random heading each.</summary>
        public void Spawn(IList<double[]> people, System.Random rng, double speedM)
        {
            _xy.Clear();
            _velocity.Clear();
            for (int i = 0; i < people.Count; i++)
            {
                _xy.Add(new[] { people[i][0], people[i][1] });
                double heading = -Math.PI + rng.NextDouble() * 2.0 * Math.PI;
                _velocity.Add(new[] { speedM * Math.Cos(heading), speedM * Math.Sin(heading) });
            }
            while (_bodies.Count < _xy.Count) _bodies.Add(CreateBody(_bodies.Count));
            for (int i = 0; i < _bodies.Count; i++) _bodies[i].SetActive(i < _xy.Count);
            SyncTransforms();
        }

        /// <summary>One walking step of every person (after the robot moved to <paramref name="robot"/>).</summary>
        public void Walk(LayoutData layout, Pose2 robot, double robotRadius)
        {
            double r = LayoutData.PersonRadiusM;
            for (int i = 0; i < _xy.Count; i++)
            {
                double nx = _xy[i][0] + _velocity[i][0], ny = _xy[i][1] + _velocity[i][1];
                bool blocked = layout.Collides(nx, ny, r, null, false)
                               || NavMath.Hypot(nx - robot.X, ny - robot.Y) < r + robotRadius;
                for (int j = 0; j < _xy.Count && !blocked; j++)
                    if (j != i && NavMath.Hypot(_xy[j][0] - nx, _xy[j][1] - ny) < 2 * r) blocked = true;
                if (blocked)
                {
                    _velocity[i][0] = -_velocity[i][0];
                    _velocity[i][1] = -_velocity[i][1];
                }
                else
                {
                    _xy[i][0] = nx;
                    _xy[i][1] = ny;
                }
            }
            SyncTransforms();
        }

        private void SyncTransforms()
        {
            for (int i = 0; i < _xy.Count; i++)
                _bodies[i].transform.position = new Vector3((float)-_xy[i][1], (float)(LayoutData.PersonHeightM / 2), (float)_xy[i][0]);
            Physics.SyncTransforms();
        }

        private GameObject CreateBody(int index)
        {
            // A capsule primitive is 2 m high with radius 0.5: scale to 1.7 m / 0.25 m. Its rounded ends
            // make the segmentation silhouette a little shorter than xai_sim's flat-topped cylinder.
            var go = GameObject.CreatePrimitive(PrimitiveType.Capsule);
            go.name = "person " + index;
            go.transform.SetParent(transform, false);
            go.transform.localScale = new Vector3((float)(2 * LayoutData.PersonRadiusM), (float)(LayoutData.PersonHeightM / 2),
                                                  (float)(2 * LayoutData.PersonRadiusM));
            if (!string.IsNullOrEmpty(personLayer))
            {
                int layer = LayerMask.NameToLayer(personLayer);
                if (layer >= 0) go.layer = layer;
                else Debug.LogWarning("PeopleSpawner: layer '" + personLayer + "' is not defined; using Default.");
            }
            SegmentationMaterials.Apply(go, SemanticClass.Person);
            go.AddComponent<SemanticLabel>().label = SemanticClass.Person;
            return go;
        }
    }
}
