"""NestAR: one transformer + flow head per scaled module; the teacher-forced training loss over all modules."""
import torch
from torch import nn

from .config import ModelConfig
from .flow_head import FlowHead
from .schedule import NO_PARENT, schedule_for
from .transformer import NEG_INF, Transformer


class ModuleNet(nn.Module):
    """A module's backbone. Its sequence: content tokens (class token or a token's value, plus its cell's
    embedding) and query tokens (the parent cell's value plus the target cell's embedding). Output: one
    condition z per query."""

    def __init__(self, config: ModelConfig, width: int, depth: int):
        super().__init__()
        n, c = config.num_tokens, config.token_dim
        self.num_tokens, self.width = n, width
        self.class_embedding = nn.Embedding(config.num_classes + 1, width)  # last row: null class
        self.content_value = nn.Linear(c, width)
        self.content_position = nn.Parameter(torch.randn(n + 1, width) * 0.02)  # row n: the class token's slot
        self.query_parent = nn.Linear(c, width)
        self.query_position = nn.Parameter(torch.randn(n, width) * 0.02)
        self.transformer = Transformer(width, depth, config.head_dim, config.mlp_ratio)

    def empty_cache(self, batch: int, device=None):
        blocks = self.transformer.blocks
        attn = blocks[0].attn
        return torch.zeros(len(blocks), 2, batch, attn.heads, 0, attn.head_dim, device=device)

    def forward(self, class_label_B, content_BLC, content_cells_L, query_parent_BQC, query_cells_Q, past_kv, bias):
        is_class = (content_cells_L == self.num_tokens).unsqueeze(-1)  # [L, 1]
        class_BD = self.class_embedding(class_label_B).unsqueeze(1)
        content = torch.where(is_class, class_BD, self.content_value(content_BLC))
        content = content + self.content_position[content_cells_L]
        queries = self.query_parent(query_parent_BQC) + self.query_position[query_cells_Q]
        num_content = content_BLC.shape[1]
        h, present = self.transformer(torch.cat([content, queries], dim=1), past_kv, num_content, bias)
        return h[:, num_content:], present


def step_bias(num_past: int, num_content, num_query, device=None):
    """The mask of one sampling step: content sees the cache and itself; queries see everything incl. each other.
    Written with tensor ops on sizes so that the exported graph keeps the lengths dynamic."""
    L = num_content + num_query
    row = torch.arange(L, device=device).unsqueeze(1)
    col = torch.arange(num_past + L, device=device).unsqueeze(0)
    blocked = (row < num_content) & (col >= num_past + num_content)
    return torch.where(blocked, torch.full((), NEG_INF, device=device), torch.zeros((), device=device))


def teacher_forcing_bias(content_group_L, query_group_Q):
    """Block-causal mask of a whole module at once; reproduces the step masks exactly.
    Content of step j sees content of steps <= j; queries of step j see content of steps <= j and queries of step j."""
    cc = content_group_L.unsqueeze(1) >= content_group_L.unsqueeze(0)
    cq = torch.zeros(len(content_group_L), len(query_group_Q), dtype=torch.bool, device=cc.device)
    qc = query_group_Q.unsqueeze(1) >= content_group_L.unsqueeze(0)
    qq = query_group_Q.unsqueeze(1) == query_group_Q.unsqueeze(0)
    allowed = torch.cat([torch.cat([cc, cq], 1), torch.cat([qc, qq], 1)], 0)
    return torch.where(allowed, 0.0, NEG_INF)


class NestAR(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.schedule, self.scales = schedule_for(config)
        self.backbones = nn.ModuleList(ModuleNet(config, w, d) for w, d in zip(config.module_widths, config.module_depths))
        self.heads = nn.ModuleList(FlowHead(config.token_dim, w, config.flow_width, config.flow_depth)
                                   for w in config.module_widths)
        # Distilled few-step heads (few_step_head.py), attached after training by checkpoint.attach_few_step.
        self.few_step_heads, self.few_step_config = None, None
        for k, steps in enumerate(self.schedule):
            content = [c for s in steps for c in s.content_cells]
            queries = [c for s in steps for c in s.query_cells]
            parents = [config.num_tokens if p == NO_PARENT else p for s in steps for p in s.query_parent_cells]
            prefix = [c for c in steps[0].content_cells if c != config.num_tokens] if k > 0 else []
            cg = [j for j, s in enumerate(steps) for _ in s.content_cells]
            qg = [j for j, s in enumerate(steps) for _ in s.query_cells]
            self.register_buffer(f"content_cells_{k}", torch.tensor(content), persistent=False)
            self.register_buffer(f"query_cells_{k}", torch.tensor(queries), persistent=False)
            self.register_buffer(f"parent_cells_{k}", torch.tensor(parents), persistent=False)
            self.register_buffer(f"prefix_cells_{k}", torch.tensor(prefix, dtype=torch.long), persistent=False)
            self.register_buffer(f"bias_{k}", teacher_forcing_bias(torch.tensor(cg), torch.tensor(qg)), persistent=False)

    @property
    def num_steps(self) -> int:
        return sum(len(steps) for steps in self.schedule)

    def check_tokens(self, tokens_BNC):
        n, c = self.config.num_tokens, self.config.token_dim
        if tokens_BNC.dim() != 3 or tuple(tokens_BNC.shape[1:]) != (n, c):
            raise ValueError(f"expected tokens [batch, {n}, {c}] ({self.config.image_size}px images in "
                             f"{self.config.patch_size}px patches), got {list(tokens_BNC.shape)}")

    def module_conditions(self, k: int, tokens_BNC, labels_B, generator=None):
        """Module k's condition z for every query of every step, teacher-forced in one forward pass: [B, Q, D]."""
        B, N, C = tokens_BNC.shape
        padded = torch.cat([tokens_BNC, tokens_BNC.new_zeros(B, 1, C)], dim=1)  # index N: class slot / no parent
        prefix = getattr(self, f"prefix_cells_{k}")
        if self.training and self.config.prefix_noise_std > 0 and len(prefix):
            # Corrupt the coarser scales this module conditions on, so that it tolerates its predecessors' errors.
            sigma = torch.rand(B, 1, 1, device=padded.device, generator=generator) * self.config.prefix_noise_std
            noise = torch.zeros_like(padded)
            noise[:, prefix] = torch.randn(B, len(prefix), C, device=padded.device, generator=generator)
            padded = padded + sigma * noise
        content_cells = getattr(self, f"content_cells_{k}")
        net = self.backbones[k]
        z_BQD, _ = net(labels_B, padded[:, content_cells], content_cells, padded[:, getattr(self, f"parent_cells_{k}")],
                       getattr(self, f"query_cells_{k}"), net.empty_cache(B, tokens_BNC.device), getattr(self, f"bias_{k}"))
        return z_BQD

    def module_loss(self, k: int, tokens_BNC, labels_B, generator=None):
        """Flow loss of module k over all its steps."""
        z_BQD = self.module_conditions(k, tokens_BNC, labels_B, generator)
        target = tokens_BNC[:, getattr(self, f"query_cells_{k}")].reshape(-1, tokens_BNC.shape[-1])
        return self.heads[k].loss(z_BQD.reshape(-1, z_BQD.shape[-1]), target, self.config.flow_draws, generator,
                                  self.config.time_sampling)

    def forward(self, tokens_BNC, labels_B, generator=None):
        """Training loss: the sum of all modules' flow losses (plus the list of them, for logging).
        labels_B are already dropped to the null class where class dropout applies."""
        self.check_tokens(tokens_BNC)
        losses = [self.module_loss(k, tokens_BNC, labels_B, generator) for k in range(len(self.backbones))]
        return sum(losses), losses
