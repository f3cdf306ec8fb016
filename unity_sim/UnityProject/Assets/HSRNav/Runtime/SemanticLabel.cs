using HSRNav.World;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// The semantic class of a scene object (wall, floor, furniture, person). LayoutBuilder and
    /// PeopleSpawner add it to what they build; add it by hand to any extra prop so that it renders
    /// in its segmentation colour (<see cref="SegmentationMaterials"/>) and, with a collider on an
    /// obstacle layer, blocks the robot.
    /// </summary>
    [DisallowMultipleComponent]
    public class SemanticLabel : MonoBehaviour
    {
        public SemanticClass label = SemanticClass.Furniture;

        // Start, not Awake: AddComponent runs Awake before the caller sets `label`.
        private void Start()
        {
            SegmentationMaterials.Apply(gameObject, label);
        }

        private void OnValidate()
        {
            if (Application.isPlaying) SegmentationMaterials.Apply(gameObject, label);
        }
    }
}
