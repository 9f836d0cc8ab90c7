// ferkit's whole public C++ API: models and prediction, evaluation, training.
#pragma once
#include "ferkit/error.h"
#include "ferkit/evaluate.h"
#include "ferkit/model.h"
#include "ferkit/train.h"
