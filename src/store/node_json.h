// Node <-> JSON text, the form in which the store keeps each node of the
// inventory (one column, so that a new Node field needs no migration).
// Unknown keys are ignored and missing ones take Node's defaults, so rows
// written by an older or newer skyrun still read.
//
// Who calls it: SqliteStore (ReplaceNodes, ListNodes) and its tests.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/status.h"
#include "model/node.h"

namespace skyrun {

std::string NodeToJson(const Node& node);
// InvalidArgument naming what is wrong when the text is not a node.
Result<Node> NodeFromJson(const std::string& text);

}  // namespace skyrun
