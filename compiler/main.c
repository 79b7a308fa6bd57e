/* regfitc: the command line. (Being built: see the issues.) */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "regfitc: not yet implemented\n");
    return 2;
}
