"""Navigation Q-networks that explain themselves (``nn.Module`` only; sizes live in build.py).

* :class:`AQT` - Action Q-Transformer for goal navigation (Itaya et al., "Action Q-Transformer:
  visual explanation in deep reinforcement learning with encoder-decoder model using action
  query"): image tokens -> Transformer encoder; one query per action built from the action's
  one-hot vector and the goal information -> Transformer decoder over the encoder output ->
  one Q-value per query. The cross-attention of action *a*'s query is the explanation of Q(s, a).
* :class:`SketchAQT` - AQT with an Instruction Phase: the hand-drawn sketch (one waypoint per
  step) through a Transformer encoder; the query of each action also carries the robot pose and
  the current step's instruction feature.
* :class:`GoalCNN`, :class:`SketchCNN` - the DQN CNN baselines (no attention).

Every model returns a :class:`NavOutput`. Conventions: images are float in [0, 1],
``(B, 3, S, S)``; Q-values ``(B, A)`` in action order ``stop, forward, left, right``;
attention grids are row-major over the image (row 0 = top).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .layers import ConvTokenizer, DecoderBlock, EncoderBlock, NatureCNN, PatchEmbed


@dataclass
class NavOutput:
    """What a navigation Q-network returns.

    Attributes:
        q: (B, A) Q-values.
        cross_attention: (B, A, Gh * Gw) last decoder layer's attention of each action query over
            the image tokens, averaged over heads (rows sum to 1); None for CNNs.
        encoder_attention: (B, N, N) last image-encoder layer's self-attention, head-averaged.
        instruction_attention: (B, T, T) sketch models: the instruction encoder's last layer.
        grid: (Gh, Gw) the image token grid the attention refers to.
    """

    q: torch.Tensor
    cross_attention: torch.Tensor | None = None
    encoder_attention: torch.Tensor | None = None
    instruction_attention: torch.Tensor | None = None
    grid: tuple[int, int] = (0, 0)


class ImageEncoder(nn.Module):
    """Tokenise an image (patches or the DQN CNN), add learned positions, run encoder blocks."""

    def __init__(
        self, image_size: int, patch_size: int, tokenizer: str, dim: int, depth: int, heads: int
    ) -> None:
        super().__init__()
        if tokenizer == "patch":
            self.tokenizer: nn.Module = PatchEmbed(image_size, patch_size, 3, dim)
        elif tokenizer == "cnn":
            self.tokenizer = ConvTokenizer(3, dim)
        else:
            raise ValueError(f"unknown tokenizer '{tokenizer}'; use 'patch' or 'cnn'")
        self.grid = self.tokenizer.grid
        self.position = nn.Parameter(torch.zeros(1, self.grid * self.grid, dim))
        nn.init.trunc_normal_(self.position, std=0.02)
        self.blocks = nn.ModuleList(EncoderBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(
        self, images: torch.Tensor, need_weights: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(B, 3, S, S) -> tokens (B, N, D), last self-attention (B, N, N) or None``."""
        x = self.tokenizer(images) + self.position
        attention = None
        for block in self.blocks:
            x, attention = block(x, need_weights)
        return self.norm(x), _head_mean(attention)


class ActionDecoder(nn.Module):
    """Action queries -> decoder blocks over memory -> one Q-value (or advantage) per query."""

    def __init__(self, num_actions: int, condition_dim: int, dim: int, depth: int, heads: int):
        super().__init__()
        self.num_actions = num_actions
        # Query branch: [one-hot action, condition] -> D.
        self.query = nn.Sequential(
            nn.Linear(num_actions + condition_dim, dim), nn.GELU(), nn.Linear(dim, dim)
        )
        self.blocks = nn.ModuleList(DecoderBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 1)

    def forward(
        self, condition: torch.Tensor, memory: torch.Tensor, need_weights: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``condition (B, C), memory (B, N, D) -> values (B, A), cross-attention (B, A, N)``."""
        batch = condition.shape[0]
        one_hot = torch.eye(self.num_actions, device=condition.device, dtype=condition.dtype)
        query_input = torch.cat(
            [
                one_hot.expand(batch, -1, -1),
                condition[:, None, :].expand(-1, self.num_actions, -1),
            ],
            dim=-1,
        )
        queries = self.query(query_input)
        cross = None
        for block in self.blocks:
            queries, _, cross = block(queries, memory, need_weights)
        return self.head(self.norm(queries)).squeeze(-1), _head_mean(cross)


class AQT(nn.Module):
    """Action Q-Transformer for goal navigation.

    ``forward(image (B, 3, S, S) float [0, 1], goal (B, goal_dim)) -> NavOutput``.
    With ``dueling`` the state value comes from the mean encoder token and the decoder outputs
    are advantages: ``Q = V + A - mean(A)`` (the original AQT's split).
    """

    def __init__(
        self,
        image_size: int = 84,
        patch_size: int = 7,
        tokenizer: str = "patch",
        goal_dim: int = 3,
        num_actions: int = 4,
        dim: int = 64,
        encoder_depth: int = 2,
        decoder_depth: int = 1,
        heads: int = 4,
        dueling: bool = False,
    ) -> None:
        super().__init__()
        self.encoder = ImageEncoder(image_size, patch_size, tokenizer, dim, encoder_depth, heads)
        self.decoder = ActionDecoder(num_actions, goal_dim, dim, decoder_depth, heads)
        self.value = nn.Linear(dim, 1) if dueling else None

    def forward(
        self, image: torch.Tensor, goal: torch.Tensor, need_weights: bool = True
    ) -> NavOutput:
        memory, encoder_attention = self.encoder(image, need_weights)
        q, cross = self.decoder(goal, memory, need_weights)
        if self.value is not None:
            q = self.value(memory.mean(1)) + q - q.mean(1, keepdim=True)
        grid = (self.encoder.grid, self.encoder.grid)
        return NavOutput(q, cross, encoder_attention, None, grid)


class InstructionEncoder(nn.Module):
    """Instruction Phase: sketch waypoints ``(B, T, 2)`` -> per-step features ``(B, T, D)``."""

    def __init__(self, max_steps: int, dim: int, depth: int, heads: int) -> None:
        super().__init__()
        self.embed = nn.Linear(2, dim)
        self.position = nn.Parameter(torch.zeros(1, max_steps, dim))
        nn.init.trunc_normal_(self.position, std=0.02)
        self.blocks = nn.ModuleList(EncoderBlock(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(
        self, waypoints: torch.Tensor, need_weights: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        steps = waypoints.shape[1]
        if steps > self.position.shape[1]:
            raise ValueError(
                f"sketch has {steps} steps, the model supports {self.position.shape[1]}"
            )
        x = self.embed(waypoints) + self.position[:, :steps]
        attention = None
        for block in self.blocks:
            x, attention = block(x, need_weights)
        return self.norm(x), _head_mean(attention)


def _head_mean(attention: torch.Tensor | None) -> torch.Tensor | None:
    """Average ``(B, H, Q, K)`` attention over heads; None passes through."""
    return None if attention is None else attention.mean(1)


def _step_features(features: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """Pick ``features[b, step[b]]``: ``(B, T, D), (B,) long -> (B, D)``."""
    index = step.clamp(0, features.shape[1] - 1)[:, None, None].expand(-1, 1, features.shape[2])
    return features.gather(1, index).squeeze(1)


class SketchAQT(nn.Module):
    """AQT for sketch instructions (Instruction Phase + Control Phase).

    ``forward(topdown (B, 3, S, S), pose (B, pose_dim), waypoints (B, T, 2), step (B,) long)``.
    """

    def __init__(
        self,
        image_size: int = 128,
        patch_size: int = 16,
        pose_dim: int = 6,
        num_actions: int = 4,
        max_steps: int = 100,
        dim: int = 64,
        encoder_depth: int = 1,
        instruction_depth: int = 1,
        decoder_depth: int = 1,
        heads: int = 4,
    ) -> None:
        super().__init__()
        self.instruction = InstructionEncoder(max_steps, dim, instruction_depth, heads)
        self.encoder = ImageEncoder(image_size, patch_size, "patch", dim, encoder_depth, heads)
        self.decoder = ActionDecoder(num_actions, pose_dim + dim, dim, decoder_depth, heads)

    def forward(
        self,
        topdown: torch.Tensor,
        pose: torch.Tensor,
        waypoints: torch.Tensor,
        step: torch.Tensor,
        need_weights: bool = True,
    ) -> NavOutput:
        instructions, instruction_attention = self.instruction(waypoints, need_weights)
        memory, encoder_attention = self.encoder(topdown, need_weights)
        condition = torch.cat([pose, _step_features(instructions, step)], dim=-1)
        q, cross = self.decoder(condition, memory, need_weights)
        grid = (self.encoder.grid, self.encoder.grid)
        return NavOutput(q, cross, encoder_attention, instruction_attention, grid)


class GoalCNN(nn.Module):
    """DQN CNN + goal vector baseline: ``forward(image, goal) -> NavOutput`` (no attention)."""

    def __init__(
        self, image_size: int = 84, goal_dim: int = 3, num_actions: int = 4, hidden: int = 512
    ) -> None:
        super().__init__()
        self.cnn = NatureCNN(3, image_size)
        self.head = nn.Sequential(
            nn.Linear(self.cnn.out_features + goal_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, num_actions),
        )  # fmt: skip

    def forward(
        self, image: torch.Tensor, goal: torch.Tensor, need_weights: bool = True
    ) -> NavOutput:
        return NavOutput(self.head(torch.cat([self.cnn(image), goal], dim=-1)))


class SketchCNN(nn.Module):
    """Sketch baseline: the same Instruction Phase, a CNN image feature, a position head and a
    Q head. ``forward(topdown, pose, waypoints, step) -> NavOutput`` (instruction attention only).
    """

    def __init__(
        self,
        image_size: int = 128,
        pose_dim: int = 6,
        num_actions: int = 4,
        max_steps: int = 100,
        dim: int = 64,
        instruction_depth: int = 1,
        heads: int = 4,
        hidden: int = 256,
    ) -> None:
        super().__init__()
        self.instruction = InstructionEncoder(max_steps, dim, instruction_depth, heads)
        self.cnn = NatureCNN(3, image_size)
        self.image_head = nn.Sequential(nn.Linear(self.cnn.out_features, hidden), nn.ReLU())
        self.position_head = nn.Sequential(nn.Linear(pose_dim + dim, hidden), nn.ReLU())
        self.q_head = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_actions)
        )

    def forward(
        self,
        topdown: torch.Tensor,
        pose: torch.Tensor,
        waypoints: torch.Tensor,
        step: torch.Tensor,
        need_weights: bool = True,
    ) -> NavOutput:
        instructions, instruction_attention = self.instruction(waypoints, need_weights)
        position = self.position_head(torch.cat([pose, _step_features(instructions, step)], -1))
        features = torch.cat([self.image_head(self.cnn(topdown)), position], dim=-1)
        return NavOutput(self.q_head(features), instruction_attention=instruction_attention)
