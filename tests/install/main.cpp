// Uses only the installed headers and library: proves the install is complete.
#include <soma/soma.h>
#include <soma/version.h>

#include <iostream>

int main() {
    soma::Tensor t = soma::zeros({2, 3});
    std::cout << "soma " << SOMA_VERSION_STRING << "\n" << t << "\n";
    return t.numel() == 6 ? 0 : 1;
}
