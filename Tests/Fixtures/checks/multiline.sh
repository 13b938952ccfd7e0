#!/bin/sh
# A plugin with long text and perfdata on two lines, as the plugin API allows.
echo "DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968"
echo "/ 15272 MB (77%);"
echo "/boot 68 MB (69%); | /boot=68MB;88;93;0;98"
echo "/home=69357MB;253404;253409;0;253414"
exit 1
