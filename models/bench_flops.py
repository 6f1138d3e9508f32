"""FLOPs of a generation, counted from an exported model's ONNX graphs (the speed benchmark's cost model).

Method: each graph's symbolic input dims are replaced by a step's concrete sizes and onnx shape inference
(data_prop=True) gives every MatMul/Gemm its real operand shapes; a MatMul [.., M, K] x [.., K, N] costs
2*M*K*N per broadcast batch element (this covers the weight matmuls and the attention's batched QK^T and AV).
Only MatMul/Gemm count: norms, softmax and activations are O(width) per token, a few percent at these widths.
The flow head is row-wise (every op maps [rows, .] to [rows, .]), so where inference loses a row count inside it
(e.g. after Split) the call's `rows` is used. A backbone step's cost is affine in the cache length (only the
attention matmuls see it), so it is inferred at past = 0 and 1 and extrapolated; the pytest checks that against
direct inference.
"""
import json
import os
from functools import lru_cache

import onnx
from onnx import shape_inference


def _shapes(model: onnx.ModelProto, dims: dict) -> dict:
    """name -> shape (None for an unknown dim) of every tensor of a copy of `model` whose dim_params are set from
    `dims`."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for value in m.graph.input:
        for d in value.type.tensor_type.shape.dim:
            if d.dim_param:
                if d.dim_param not in dims:
                    raise KeyError(f"no size given for dynamic dim {d.dim_param!r} of input {value.name}")
                size = dims[d.dim_param]
                d.ClearField("dim_param")
                d.dim_value = size
    inferred = shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
    g = inferred.graph
    shapes = {}
    for v in list(g.input) + list(g.value_info) + list(g.output):
        t = v.type.tensor_type
        if t.HasField("shape"):
            shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def _known(shape) -> bool:
    return shape is not None and len(shape) > 0 and all(s is not None for s in shape)


def matmul_flops(model: onnx.ModelProto, dims: dict, rows: int = None) -> int:
    """2*M*K*N summed over every MatMul/Gemm of `model` at the concrete `dims`. `rows`: the fallback row count of a
    row-wise graph (flow head) where inference lost it; None means every shape must be known."""
    shapes = _shapes(model, dims)
    total = 0
    for node in model.graph.node:
        if node.op_type not in ("MatMul", "Gemm"):
            continue
        a, b = shapes.get(node.input[0]), shapes.get(node.input[1])
        if not _known(b):
            raise ValueError(f"{node.name}: weight/operand shape unknown")
        if node.op_type == "Gemm":
            attrs = {x.name: x.i for x in node.attribute}
            k, n = (b[1], b[0]) if attrs.get("transB", 0) else (b[0], b[1])
            if _known(a):
                m_rows = a[1] if attrs.get("transA", 0) else a[0]
            elif rows is not None:
                m_rows = rows
            else:
                raise ValueError(f"{node.name}: input shape unknown")
            total += 2 * m_rows * k * n
            continue
        if not _known(a):
            if rows is None or len(b) != 2:
                raise ValueError(f"{node.name}: input shape unknown")
            a = [rows, b[0]]
        m_rows, k, n = a[-2] if len(a) > 1 else 1, a[-1], b[-1]
        batch = 1
        for x, y in zip(reversed(a[:-2]), reversed(b[:-2])):
            batch *= max(x, y)
        longer = a[:-2] if len(a) > len(b) else b[:-2]
        for x in longer[: abs(len(a) - len(b))]:
            batch *= x
        total += 2 * batch * m_rows * k * n
    return total


class GraphCounter:
    """Per-call FLOPs of one model folder's backbone and flow-head graphs, memoised by shape."""

    def __init__(self, folder: str, manifest: dict):
        self.folder, self.manifest = folder, manifest
        self._models = {}

    def _model(self, file: str) -> onnx.ModelProto:
        if file not in self._models:
            self._models[file] = onnx.load(os.path.join(self.folder, file))
        return self._models[file]

    @lru_cache(maxsize=None)
    def _backbone_affine(self, module: int, batch: int, content: int, query: int) -> tuple:
        model = self._model(self.manifest["modules"][module]["backbone"])
        f0, f1 = (matmul_flops(model, {"batch": batch, "content_len": content, "query_len": query, "past_len": p})
                  for p in (0, 1))
        return f0, f1 - f0

    def backbone(self, module: int, batch: int, past: int, content: int, query: int) -> int:
        base, per_past = self._backbone_affine(module, batch, content, query)
        return base + per_past * past

    @lru_cache(maxsize=None)
    def flow(self, module: int, rows: int) -> int:
        return matmul_flops(self._model(self.manifest["modules"][module]["flow_head"]), {"rows": rows}, rows=rows)

    @lru_cache(maxsize=None)
    def few_step(self, module: int, rows: int, guided: bool = False) -> int:
        """One call of the module's few-step sampler graph (all K head evaluations inside), like the flow head row-wise;
        `guided`: the graph runs the guided ODE, its head on twice the rows (docs/contract.md, "Few-step sampler")."""
        return matmul_flops(self._model(self.manifest["modules"][module]["few_step"]),
                            {"rows": rows, "z_rows": 2 * rows}, rows=2 * rows if guided else rows)


def evaluations_per_step(ode_steps: int, solver: str) -> int:
    return ode_steps * (2 if solver == "heun" else 1)  # heun: two velocity evaluations per ODE step


def generation_cost(counter: GraphCounter, batch: int, ode_steps: int, solver: str, guidance: float) -> dict:
    """Steps, network calls and FLOPs of one generation of `batch` images, following the manifest's schedule the way
    src/scheduler.ts runs it: on the ODE path guidance != 1 doubles the rows of every call; solver "few_step" runs
    the backbone on the undoubled batch (doubled in a module whose one call runs the guided ODE; `rows` is the
    undoubled count then) and one few-step call per step (`flow_calls` then counts those calls,
    `flow_flops` their FLOPs; `evaluations_per_step` is 1 call, whatever K is inside it)."""
    few_step = solver == "few_step"
    rows = batch * (2 if guidance != 1 and not few_step else 1)
    evals = 1 if few_step else evaluations_per_step(ode_steps, solver)
    modules = counter.manifest["modules"]
    per_module = counter.manifest["few_step"]["evaluations"] if few_step else None
    per_step = []
    for k, mod in enumerate(modules):
        # A few-step module that runs the guided ODE in its one call takes the doubled batch in its backbone too.
        guided = few_step and isinstance(per_module, list) and isinstance(per_module[k], dict)  # {solver, steps}
        module_rows = 2 * batch if guided else rows
        past = 0
        for step in mod["steps"]:
            lc, lq = len(step["content_cells"]), len(step["query_cells"])
            backbone = counter.backbone(k, module_rows, past, lc, lq)
            flow = counter.few_step(k, batch * lq, guided) if few_step else evals * counter.flow(k, rows * lq)
            per_step.append({"module": k, "past": past, "content": lc, "query": lq, "backbone_flops": backbone,
                             "flow_flops": flow})
            past += lc
    backbone = sum(s["backbone_flops"] for s in per_step)
    flow = sum(s["flow_flops"] for s in per_step)
    return {"batch": batch, "rows": rows, "ode_steps": ode_steps, "solver": solver, "guidance": guidance,
            "evaluations_per_step": evals, "sequential_steps": len(per_step), "backbone_calls": len(per_step),
            "flow_calls": evals * len(per_step), "backbone_flops": backbone, "flow_flops": flow,
            "flops": backbone + flow, "flops_per_image": (backbone + flow) / batch, "per_step": per_step}


def model_cost(folder: str, batches=(1, 8)) -> dict:
    """The FLOPs JSON of a model folder at its manifest's default sampling settings (`by_batch`) and, when the model
    has a few-step sampler, with solver "few_step" at the same guidance (`few_step_by_batch`, else null)."""
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    d = manifest["sampling"]["defaults"]
    counter = GraphCounter(folder, manifest)
    few = manifest.get("few_step")
    return {"id": manifest["id"], "architecture": manifest["architecture"], "tokens": manifest["tokens"]["count"],
            "method": "onnx shape inference at each step's concrete shapes; MatMul/Gemm only (2*M*K*N)",
            "sampling": d,
            "by_batch": {str(b): generation_cost(counter, b, d["ode_steps"], d["solver"], d["guidance"]) for b in batches},
            "few_step_evaluations": few["evaluations"] if few else None,
            "few_step_by_batch": {str(b): generation_cost(counter, b, d["ode_steps"], "few_step", d["guidance"])
                                  for b in batches} if few else None}
