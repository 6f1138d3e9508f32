"""A pre-LayerNorm transformer whose key/value cache is an explicit input and output (never module state), so
that one graph serves teacher-forced training (empty cache, full sequence, block mask) and the exported one-step
sampler (cache in, cache out)."""
import torch
from torch import nn
import torch.nn.functional as F

NEG_INF = -1e9  # finite: rows of -inf would give NaN in softmax under some exporters


class Attention(nn.Module):
    def __init__(self, width: int, head_dim: int):
        super().__init__()
        self.heads, self.head_dim = width // head_dim, head_dim
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x_BLD, past_kv_2BHPd, num_cached: int, bias_LK):
        """x_BLD: the new tokens (first `num_cached` of them are cached); past_kv_2BHPd: [2, B, H, P, d];
        bias_LK: additive mask [L, P + L]. Returns (y_BLD, present_kv [2, B, H, P + num_cached, d])."""
        B, L, D = x_BLD.shape
        qkv = self.qkv(x_BLD).reshape(B, L, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q_BHLd, k_BHLd, v_BHLd = qkv[0], qkv[1], qkv[2]
        keys = torch.cat([past_kv_2BHPd[0], k_BHLd], dim=2)
        values = torch.cat([past_kv_2BHPd[1], v_BHLd], dim=2)
        att = (q_BHLd @ keys.transpose(-1, -2)) * self.head_dim ** -0.5 + bias_LK
        y = (att.softmax(dim=-1) @ values).transpose(1, 2).reshape(B, L, D)
        present = torch.stack([keys[:, :, : past_kv_2BHPd.shape[3] + num_cached],
                               values[:, :, : past_kv_2BHPd.shape[3] + num_cached]])
        return self.proj(y), present


class Block(nn.Module):
    def __init__(self, width: int, head_dim: int, mlp_ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = Attention(width, head_dim)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, mlp_ratio * width), nn.GELU(), nn.Linear(mlp_ratio * width, width))

    def forward(self, x_BLD, past_kv, num_cached: int, bias_LK):
        y, present = self.attn(self.norm1(x_BLD), past_kv, num_cached, bias_LK)
        x_BLD = x_BLD + y
        return x_BLD + self.mlp(self.norm2(x_BLD)), present


class Transformer(nn.Module):
    def __init__(self, width: int, depth: int, head_dim: int, mlp_ratio: int):
        super().__init__()
        self.blocks = nn.ModuleList(Block(width, head_dim, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def forward(self, x_BLD, past_kv_N2BHPd, num_cached: int, bias_LK):
        """past_kv_N2BHPd: [layers, 2, B, H, P, d]. Returns (normed x, present_kv [layers, 2, B, H, P + num_cached, d])."""
        presents = []
        for i, block in enumerate(self.blocks):
            x_BLD, present = block(x_BLD, past_kv_N2BHPd[i], num_cached, bias_LK)
            presents.append(present)
        return self.norm(x_BLD), torch.stack(presents)
