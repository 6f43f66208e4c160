"""A ``.tflite`` model run with the LiteRT interpreter, custom operators it lacks run in numpy.

The model's graph is cut into parts at its custom operators: part k holds the
built-in operators whose inputs are k custom operators away from the model's
input. Each part is its own LiteRT model (the same tensors and weights, fewer
operators); between parts the custom operators run in numpy (``operators``:
name → function of the operator's options and input arrays). A model without
custom operators is one part.
"""

from typing import NamedTuple

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter
from flatbuffers import flexbuffers

TFLITE_FILE_IDENTIFIER = b"TFL3"


class _CustomCall(NamedTuple):
    after_part: int
    name: str
    function: object
    options: dict
    inputs: list  # tensor ids
    output: int


class LiteRTModel:
    """``model(pixels (H, W, C) float32) → {output name: array}`` (batch of 1, kept)."""

    def __init__(self, path, operators=None):
        model = schema.ModelT.InitFromPackedBuf(path.read_bytes(), 0)
        graph = model.subgraphs[0]
        self._names = {i: t.name.decode() for i, t in enumerate(graph.tensors)}
        self._input, self._outputs = graph.inputs[0], list(graph.outputs)
        self._custom = []
        part_ops = self._assign_parts(model, graph, operators or {})
        self._parts = [_Part(model, graph, ops, self._exchanged(graph, part_ops, k))
                       for k, ops in enumerate(part_ops)]

    def custom_options(self, name):
        """The options of each custom operator called ``name``, in the model's order."""
        return [call.options for call in self._custom if call.name == name]

    def __call__(self, pixels):
        values = {self._input: pixels[None].astype(np.float32)}
        for k, part in enumerate(self._parts):
            values.update(part(values))
            for call in self._custom:
                if call.after_part == k:
                    values[call.output] = call.function(call.options, *(values[i] for i in call.inputs))
        return {self._names[i]: values[i] for i in self._outputs}

    def _assign_parts(self, model, graph, operators):
        """Operator indices of each part; ``self._custom`` filled. Weights-only operators join each user."""
        ops = graph.operators
        static = {i for i, t in enumerate(graph.tensors) if model.buffers[t.buffer].data is not None}
        producer = {}
        for k, op in enumerate(ops):
            producer.update({o: k for o in op.outputs})
            if all(i < 0 or i in static for i in op.inputs):  # e.g. float16 weights made float32
                static.update(op.outputs)
        depth = dict.fromkeys(graph.inputs, 0)
        parts = {}
        for k, op in enumerate(ops):
            if all(o in static for o in op.outputs):
                continue
            level = max((depth[i] for i in op.inputs if i >= 0 and i not in static), default=0)
            code = model.operatorCodes[op.opcodeIndex].customCode
            if code:
                name = code.decode()
                if name not in operators:
                    raise ValueError(f"the model needs the custom operator {name}, which is not given")
                options = flexbuffers.Loads(bytes(op.customOptions)) if op.customOptions is not None else {}
                self._custom.append(_CustomCall(level, name, operators[name], options, list(op.inputs), op.outputs[0]))
                depth[op.outputs[0]] = level + 1
            else:
                parts.setdefault(level, set()).add(k)
                depth.update(dict.fromkeys(op.outputs, level))
        return [_with_weight_producers(ops, parts.get(level, set()), static, producer)
                for level in range(max(parts) + 1)]

    def _exchanged(self, graph, part_ops, k):
        """(inputs, outputs) of part k: what it takes from before it, what later parts or custom operators use."""
        ops = graph.operators
        made = {o for i in part_ops[k] for o in ops[i].outputs}
        used = {t for i in part_ops[k] for t in ops[i].inputs if t >= 0}
        used_later = {t for later in part_ops[k + 1:] for i in later for t in ops[i].inputs}
        used_later |= {t for call in self._custom for t in call.inputs} | set(self._outputs)
        produced_before = set(graph.inputs) | {o for before in part_ops[:k] for i in before for o in ops[i].outputs}
        produced_before |= {call.output for call in self._custom}
        return sorted((used - made) & produced_before), sorted(made & used_later)


class _Part:
    """Some operators of the model as a LiteRT interpreter of their own."""

    def __init__(self, model, graph, op_indices, exchanged):
        self.inputs, self.outputs = exchanged
        all_ops, all_inputs, all_outputs = graph.operators, graph.inputs, graph.outputs
        graph.operators = [all_ops[i] for i in op_indices]
        graph.inputs, graph.outputs = self.inputs, self.outputs
        builder = flatbuffers.Builder(0)
        builder.Finish(model.Pack(builder), file_identifier=TFLITE_FILE_IDENTIFIER)
        graph.operators, graph.inputs, graph.outputs = all_ops, all_inputs, all_outputs
        self._content = bytes(builder.Output())  # the interpreter reads it in place
        self._interpreter = Interpreter(model_content=self._content)
        self._interpreter.allocate_tensors()
        names = {i: graph.tensors[i].name.decode() for i in self.inputs + self.outputs}
        by_name = lambda details: {d["name"]: d["index"] for d in details}  # noqa: E731
        ins, outs = by_name(self._interpreter.get_input_details()), by_name(self._interpreter.get_output_details())
        self._input_slots = [(i, ins[names[i]]) for i in self.inputs]
        self._output_slots = [(o, outs[names[o]]) for o in self.outputs]

    def __call__(self, values):
        for tensor, slot in self._input_slots:
            self._interpreter.set_tensor(slot, values[tensor])
        self._interpreter.invoke()
        return {tensor: self._interpreter.get_tensor(slot) for tensor, slot in self._output_slots}


def _with_weight_producers(ops, chosen, static, producer):
    """``chosen`` operator indices plus those computing their weights, in the model's order."""
    todo, keep = list(chosen), set(chosen)
    while todo:
        for tensor in ops[todo.pop()].inputs:
            k = producer.get(tensor)
            if tensor in static and k is not None and k not in keep:
                keep.add(k)
                todo.append(k)
    return sorted(keep)

