#pragma once
// Everything soma offers, in one include.

#include "soma/autograd.h"
#include "soma/dtype.h"
#include "soma/error.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"
#include "soma/ops_conv.h"
#include "soma/ops_loss.h"
#include "soma/ops_norm.h"
#include "soma/ops_rnn.h"
#include "soma/random.h"
#include "soma/shape.h"
#include "soma/storage.h"
#include "soma/tensor.h"
#include "soma/threading.h"
